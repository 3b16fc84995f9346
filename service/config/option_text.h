// Option values written as text: a key file's `Key=value`, or a command
// line's KEY=VALUE (l2tpctl). One reading of text for both, by the key's
// D-Bus type:
//   u   decimal digits only: no sign, no hex, no blanks, at most 4294967295
//   b   true, false, yes, no, 1 or 0
//   s   as written; trailing blanks are part of the value
//   as  elements separated by ';' or ',', blanks around them dropped; one
//       trailing separator allowed
//   ay  Cookie, PeerCookie: 8 or 16 hex digits; other keys: the bytes of the
//       text (files name certificate and key files instead: config/files.cpp)
// The value is converted, not validated: the option parsers of
// config/options.h judge it as they judge a D-Bus call's.
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/options.h"

namespace l2tp::config {

std::expected<OptionValue, std::string> option_from_text(std::string_view key, OptionType type,
                                                         std::string_view text);

// An even number (at least 2) of hex digits, any case, as bytes.
std::optional<std::vector<std::uint8_t>> parse_hex(std::string_view digits);

// The keys of the vocabulary for `kind` (option_type() knows each), and the
// values an enumerated key takes ("Mode": dynamic, quiescent, static; a
// boolean: true, false), for shell completion and help; empty for free-form
// keys.
std::vector<std::string_view> option_keys(ObjectKind kind);
std::vector<std::string_view> option_choices(ObjectKind kind, std::string_view key);

}  // namespace l2tp::config
