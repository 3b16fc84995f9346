#include "dbus/option_dictionary.h"

#include <sdbus-c++/Error.h>

#include <cstdint>
#include <vector>

namespace l2tp::dbus {

namespace {

config::OptionValue extract(config::OptionType type, const sdbus::Variant& value) {
  switch (type) {
    case config::OptionType::kString:
      return value.get<std::string>();
    case config::OptionType::kUint32:
      return value.get<std::uint32_t>();
    case config::OptionType::kBool:
      return value.get<bool>();
    case config::OptionType::kBytes:
      return value.get<std::vector<std::uint8_t>>();
    case config::OptionType::kStringList:
      return value.get<std::vector<std::string>>();
  }
  return std::string();
}

}  // namespace

std::expected<config::OptionMap, config::OptionError> to_option_map(
    config::ObjectKind kind, const OptionDictionary& options) {
  config::OptionMap map;
  for (const auto& [key, value] : options) {
    const std::optional<config::OptionType> type = config::option_type(kind, key);
    if (!type) {
      // Any string is a valid a{sv} key, and the reply and the log echo it.
      return std::unexpected(config::OptionError{config::shown_in_error(key), "unknown option"});
    }
    const std::string expected_signature = config::dbus_signature(*type);
    if (value.isEmpty() || value.peekValueType() != expected_signature) {
      return std::unexpected(config::OptionError{key, "expected type " + expected_signature});
    }
    try {
      map.emplace(key, extract(*type, value));
    } catch (const sdbus::Error&) {
      // The signature matched, so only a malformed message gets here.
      return std::unexpected(config::OptionError{key, "expected type " + expected_signature});
    }
  }
  return map;
}

}  // namespace l2tp::dbus
