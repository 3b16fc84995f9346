#include "config/text_checks.h"

#include <algorithm>
#include <charconv>

#include "config/options.h"

namespace l2tp::config::detail {

namespace {

constexpr std::size_t kMaxHostNameAvp = 255;  // what a peer's fixed buffers commonly hold
constexpr std::size_t kMaxDnsName = 253;
constexpr std::size_t kMaxDnsLabel = 63;

bool is_ascii_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool is_valid_label(std::string_view label) {
  if (label.empty() || label.size() > kMaxDnsLabel) return false;
  if (label.front() == '-' || label.back() == '-') return false;
  for (char c : label) {
    if (!is_ascii_alnum(c) && c != '-') return false;
  }
  return true;
}

bool is_all_digits(std::string_view text) {
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return !text.empty();
}

}  // namespace

bool has_control_characters(std::string_view text) {
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) return true;
  }
  return false;
}

bool is_valid_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    if (lead < 0x80) {
      ++i;
      continue;
    }
    std::size_t continuation_count = 0;
    std::uint32_t code_point = 0;
    std::uint32_t smallest = 0;  // below this the sequence is overlong
    if ((lead & 0xe0) == 0xc0) {
      continuation_count = 1;
      code_point = lead & 0x1fu;
      smallest = 0x80;
    } else if ((lead & 0xf0) == 0xe0) {
      continuation_count = 2;
      code_point = lead & 0x0fu;
      smallest = 0x800;
    } else if ((lead & 0xf8) == 0xf0) {
      continuation_count = 3;
      code_point = lead & 0x07u;
      smallest = 0x10000;
    } else {
      return false;
    }
    if (text.size() - i <= continuation_count) return false;
    for (std::size_t k = 1; k <= continuation_count; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xc0) != 0x80) return false;
      code_point = (code_point << 6) | (next & 0x3fu);
    }
    if (code_point < smallest || code_point > 0x10ffff) return false;
    if (code_point >= 0xd800 && code_point <= 0xdfff) return false;
    i += continuation_count + 1;
  }
  return true;
}

std::optional<std::uint32_t> parse_decimal_u32(std::string_view text) {
  if (!is_all_digits(text)) return std::nullopt;
  std::uint32_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

bool is_dns_host_name(std::string_view text) {
  if (!text.empty() && text.back() == '.') text.remove_suffix(1);
  if (text.empty() || text.size() > kMaxDnsName) return false;
  std::string_view last_label;
  while (true) {
    const std::size_t dot = text.find('.');
    last_label = text.substr(0, dot);
    if (!is_valid_label(last_label)) return false;
    if (dot == std::string_view::npos) break;
    text.remove_prefix(dot + 1);
  }
  return !is_all_digits(last_label);
}

std::optional<std::string> host_name_avp_problem(std::string_view text) {
  if (text.empty()) return "must not be empty";
  if (text.size() > kMaxHostNameAvp) return "must be at most 255 bytes";
  if (has_control_characters(text)) return "contains control characters";
  if (!is_valid_utf8(text)) return "is not valid UTF-8";
  return std::nullopt;
}

}  // namespace l2tp::config::detail

namespace l2tp::config {

std::string shown_in_error(std::string_view untrusted) {
  constexpr std::size_t kMaxShownBytes = 64;
  const auto plain = [](char c) { return c > 0x20 && c < 0x7f && c != '"' && c != '\\'; };
  if (!untrusted.empty() && untrusted.size() <= kMaxShownBytes &&
      std::ranges::all_of(untrusted, plain)) {
    return std::string(untrusted);
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string shown = "\"";
  for (const char c : untrusted.substr(0, kMaxShownBytes)) {
    if (plain(c) || c == ' ') {
      shown += c;
    } else {
      const auto byte = static_cast<unsigned char>(c);
      shown.append("\\x").append(1, kHex[byte >> 4]).append(1, kHex[byte & 0xf]);
    }
  }
  shown += '"';
  if (untrusted.size() > kMaxShownBytes) {
    shown.insert(shown.size() - 1, "...");
    shown += " (" + std::to_string(untrusted.size()) + " bytes)";
  }
  return shown;
}

}  // namespace l2tp::config
