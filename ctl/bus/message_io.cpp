#include "bus/message_io.h"

#include <string_view>

#include "lib/exit_status.h"

namespace l2tp::ctl::message {

namespace {

int check(int result, std::string_view what) {
  if (result < 0) {
    throw CtlError(ExitStatus::kFailure,
                   std::string("unexpected D-Bus message (") + std::string(what) + ")");
  }
  return result;
}

void append_value(sd_bus_message* message, const config::OptionValue& value) {
  std::visit(
      [message](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string>) {
          check(sd_bus_message_append(message, "v", "s", v.c_str()), "s");
        } else if constexpr (std::is_same_v<T, std::uint32_t>) {
          check(sd_bus_message_append(message, "v", "u", v), "u");
        } else if constexpr (std::is_same_v<T, bool>) {
          check(sd_bus_message_append(message, "v", "b", static_cast<int>(v)), "b");
        } else if constexpr (std::is_same_v<T, std::vector<std::uint8_t>>) {
          check(sd_bus_message_open_container(message, 'v', "ay"), "v");
          check(sd_bus_message_append_array(message, 'y', v.data(), v.size()), "ay");
          check(sd_bus_message_close_container(message), "v");
        } else {
          check(sd_bus_message_open_container(message, 'v', "as"), "v");
          check(sd_bus_message_open_container(message, 'a', "s"), "as");
          for (const std::string& element : v) {
            check(sd_bus_message_append_basic(message, 's', element.c_str()), "s");
          }
          check(sd_bus_message_close_container(message), "as");
          check(sd_bus_message_close_container(message), "v");
        }
      },
      value);
}

// One basic value of `type`, read into the C type sd-bus writes for it.
template <typename T>
T read_as(sd_bus_message* message, char type) {
  T value{};
  const char signature[] = {type, '\0'};
  check(sd_bus_message_read_basic(message, type, &value), signature);
  return value;
}

nlohmann::json read_basic(sd_bus_message* message, char type) {
  switch (type) {
    case 'y':
      return read_as<std::uint8_t>(message, type);
    case 'b':
      return read_as<int>(message, type) != 0;
    case 'n':
      return read_as<std::int16_t>(message, type);
    case 'q':
      return read_as<std::uint16_t>(message, type);
    case 'i':
      return read_as<std::int32_t>(message, type);
    case 'u':
      return read_as<std::uint32_t>(message, type);
    case 'x':
      return read_as<std::int64_t>(message, type);
    case 't':
      return read_as<std::uint64_t>(message, type);
    case 'd':
      return read_as<double>(message, type);
    case 's':
    case 'o':
    case 'g': {
      const char* text = read_as<const char*>(message, type);
      return std::string(text ? text : "");
    }
    case 'h':
      read_as<int>(message, type);
      return nullptr;  // a descriptor means nothing printed
  }
  throw CtlError(ExitStatus::kFailure, std::string("unexpected D-Bus type ") + type);
}

}  // namespace

void append(sd_bus_message* message, const char* signature, const std::string& value) {
  check(sd_bus_message_append_basic(message, signature[0], value.c_str()), signature);
}
void append(sd_bus_message* message, const char* signature, std::uint32_t value) {
  check(sd_bus_message_append_basic(message, signature[0], &value), signature);
}
void append(sd_bus_message* message, const char* signature, bool value) {
  const int flag = value ? 1 : 0;
  check(sd_bus_message_append_basic(message, signature[0], &flag), signature);
}
void append(sd_bus_message* message, const char*, const config::OptionMap& options) {
  check(sd_bus_message_open_container(message, 'a', "{sv}"), "a{sv}");
  for (const auto& [key, value] : options) {
    check(sd_bus_message_open_container(message, 'e', "sv"), "{sv}");
    check(sd_bus_message_append_basic(message, 's', key.c_str()), "s");
    append_value(message, value);
    check(sd_bus_message_close_container(message), "{sv}");
  }
  check(sd_bus_message_close_container(message), "a{sv}");
}

void read(sd_bus_message* message, const char* signature, std::string& value) {
  const char* text = nullptr;
  check(sd_bus_message_read_basic(message, signature[0], &text), signature);
  value = text ? text : "";
}
void read(sd_bus_message* message, const char* signature, std::uint32_t& value) {
  check(sd_bus_message_read_basic(message, signature[0], &value), signature);
}
void read(sd_bus_message* message, const char* signature, bool& value) {
  int flag = 0;
  check(sd_bus_message_read_basic(message, signature[0], &flag), signature);
  value = flag != 0;
}
void read(sd_bus_message* message, const char* signature, std::vector<std::string>& value) {
  check(sd_bus_message_enter_container(message, 'a', signature + 1), signature);
  const char* text = nullptr;
  while (check(sd_bus_message_read_basic(message, signature[1], &text), signature) > 0) {
    value.emplace_back(text ? text : "");
  }
  check(sd_bus_message_exit_container(message), signature);
}

nlohmann::json read_json(sd_bus_message* message) {
  char type = 0;
  const char* contents = nullptr;
  if (check(sd_bus_message_peek_type(message, &type, &contents), "peek") == 0) {
    throw CtlError(ExitStatus::kFailure, "unexpected end of a D-Bus message");
  }
  switch (type) {
    case SD_BUS_TYPE_VARIANT: {
      check(sd_bus_message_enter_container(message, type, contents), "v");
      nlohmann::json value = read_json(message);
      check(sd_bus_message_exit_container(message), "v");
      return value;
    }
    case SD_BUS_TYPE_STRUCT: {
      check(sd_bus_message_enter_container(message, type, contents), "()");
      nlohmann::json members = nlohmann::json::array();
      while (check(sd_bus_message_at_end(message, false), "()") == 0) {
        members.push_back(read_json(message));
      }
      check(sd_bus_message_exit_container(message), "()");
      return members;
    }
    case SD_BUS_TYPE_ARRAY: {
      check(sd_bus_message_enter_container(message, type, contents), "a");
      const bool dictionary = contents[0] == SD_BUS_TYPE_DICT_ENTRY_BEGIN;
      nlohmann::json elements = dictionary ? nlohmann::json::object() : nlohmann::json::array();
      while (check(sd_bus_message_at_end(message, false), "a") == 0) {
        if (!dictionary) {
          elements.push_back(read_json(message));
          continue;
        }
        // NULL: sd-bus checks the entry against the array's signature itself.
        check(sd_bus_message_enter_container(message, SD_BUS_TYPE_DICT_ENTRY, nullptr), "{}");
        const nlohmann::json key = read_json(message);
        nlohmann::json value = read_json(message);
        check(sd_bus_message_exit_container(message), "{}");
        elements[key.is_string() ? key.get<std::string>() : key.dump()] = std::move(value);
      }
      check(sd_bus_message_exit_container(message), "a");
      return elements;
    }
    default:
      return read_basic(message, type);
  }
}

}  // namespace l2tp::ctl::message
