#include "config/option_text.h"

#include "config/option_parsing.h"
#include "config/text_checks.h"

namespace l2tp::config {

namespace {

constexpr std::string_view kBlanks = " \t";

std::string_view trim(std::string_view text) {
  const std::size_t first = text.find_first_not_of(kBlanks);
  if (first == std::string_view::npos) return {};
  const std::size_t last = text.find_last_not_of(kBlanks);
  return text.substr(first, last - first + 1);
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::expected<std::vector<std::string>, std::string> split_list(std::string_view text) {
  std::vector<std::string> elements;
  if (trim(text).empty()) return elements;
  while (true) {
    const std::size_t separator = text.find_first_of(";,");
    const std::string_view element = trim(text.substr(0, separator));
    const bool last = separator == std::string_view::npos;
    // "a;b;" is the GKeyFile way of writing a list: the final empty element
    // is not one.
    if (element.empty() && (!last || elements.empty())) {
      return std::unexpected("empty list element");
    }
    if (!element.empty()) elements.emplace_back(element);
    if (last) break;
    text.remove_prefix(separator + 1);
  }
  return elements;
}

}  // namespace

std::optional<std::vector<std::uint8_t>> parse_hex(std::string_view digits) {
  if (digits.empty() || digits.size() % 2 != 0) return std::nullopt;
  std::vector<std::uint8_t> bytes;
  for (std::size_t i = 0; i < digits.size(); i += 2) {
    const int high = hex_digit(digits[i]);
    const int low = hex_digit(digits[i + 1]);
    if (high < 0 || low < 0) return std::nullopt;
    bytes.push_back(static_cast<std::uint8_t>(high * 16 + low));
  }
  return bytes;
}

std::expected<OptionValue, std::string> option_from_text(std::string_view key, OptionType type,
                                                         std::string_view text) {
  switch (type) {
    case OptionType::kString:
      return std::string(text);
    case OptionType::kUint32:
      if (auto number = detail::parse_decimal_u32(text)) return *number;
      return std::unexpected("expected a decimal number 0..4294967295");
    case OptionType::kBool:
      if (text == "true" || text == "yes" || text == "1") return true;
      if (text == "false" || text == "no" || text == "0") return false;
      return std::unexpected("expected true, false, yes, no, 1 or 0");
    case OptionType::kBytes:
      if (key == "Cookie" || key == "PeerCookie") {
        auto bytes = parse_hex(text);
        if (!bytes || (bytes->size() != 4 && bytes->size() != 8)) {
          return std::unexpected("expected 8 or 16 hex digits");
        }
        return *bytes;
      }
      return std::vector<std::uint8_t>(text.begin(), text.end());
    case OptionType::kStringList: {
      auto elements = split_list(text);
      if (!elements) return std::unexpected(elements.error());
      return *elements;
    }
  }
  return std::unexpected("unsupported type");
}

}  // namespace l2tp::config
