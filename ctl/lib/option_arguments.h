// KEY=VALUE arguments of `tunnel add`, `session add` and `listen`, turned into
// the a{sv} the daemon takes. Keys are the vocabulary of the D-Bus options
// (config/options.h), matched without regard to case; values are read by
// the key's type as config files read them (config/option_text.h), and
// byte-array values may also be given as
//   @PATH       the bytes of a file (- for standard input): secrets, certificates
//   hex:DIGITS  bytes in hex
// Errors name the key and never repeat a value: it may be a secret. The
// daemon still validates everything; this only converts.
#pragma once

#include <expected>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "config/options.h"

namespace l2tp::ctl {

struct ArgumentError {
  std::string key;  // as the vocabulary spells it, or as given when unknown
  std::string message;
  std::string to_string() const { return key + ": " + message; }
};

// Reads @PATH: the file's bytes, or an error text (errno's words).
using FileReader =
    std::function<std::expected<std::vector<std::uint8_t>, std::string>(const std::string& path)>;

// The key as the vocabulary spells it ("peer" -> "Peer"); nullopt when unknown.
std::optional<std::string_view> canonical_key(config::ObjectKind kind, std::string_view key);

std::expected<config::OptionMap, ArgumentError> parse_option_arguments(
    config::ObjectKind kind, const std::vector<std::string>& arguments,
    const FileReader& read_file);

// What reading @PATH from the file system gives (at most 1 MiB).
std::expected<std::vector<std::uint8_t>, std::string> read_argument_file(const std::string& path);

}  // namespace l2tp::ctl
