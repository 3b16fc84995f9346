// Small text predicates shared by the option validator and the file loader.
// Internal to the config library: nothing outside service/config includes it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace l2tp::config::detail {

// C0 controls and DEL. A newline or NUL in any string could end a line of a
// pppd option channel or a config file we write later, so they never pass.
bool has_control_characters(std::string_view text);

// Well-formed UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF).
// D-Bus guarantees it for its strings; files are checked with the same rule.
bool is_valid_utf8(std::string_view text);

// Decimal digits only: no sign, no spaces, no hex, no overflow past 2^32-1.
std::optional<std::uint32_t> parse_decimal_u32(std::string_view text);

// RFC 1123 host name syntax: labels of letters, digits and hyphens (1..63
// chars, no hyphen at either end), at most 253 chars, one optional trailing
// dot. The last label must not be all digits (RFC 3696 §2), so a mistyped
// address such as 192.0.2.256 is refused instead of sent to the resolver.
bool is_dns_host_name(std::string_view text);

// The Host Name AVP (tunnels, listeners, l2tpbusd.conf): nullopt when fine,
// else why not, as a sentence to follow "HostName: ".
std::optional<std::string> host_name_avp_problem(std::string_view text);

}  // namespace l2tp::config::detail
