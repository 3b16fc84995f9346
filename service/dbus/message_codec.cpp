#include "dbus/message_codec.h"

#include <cstdlib>
#include <string_view>

namespace l2tp::dbus {

int append(sd_bus_message* message, const std::string& value) {
  return sd_bus_message_append_basic(message, SD_BUS_TYPE_STRING, value.c_str());
}

int append(sd_bus_message* message, const sdbus::ObjectPath& value) {
  return sd_bus_message_append_basic(message, SD_BUS_TYPE_OBJECT_PATH, value.c_str());
}

int append(sd_bus_message* message, bool value) {
  const int boolean = value ? 1 : 0;
  return sd_bus_message_append_basic(message, SD_BUS_TYPE_BOOLEAN, &boolean);
}

int append(sd_bus_message* message, std::uint8_t value) {
  return sd_bus_message_append_basic(message, SD_BUS_TYPE_BYTE, &value);
}

int append(sd_bus_message* message, std::uint32_t value) {
  return sd_bus_message_append_basic(message, SD_BUS_TYPE_UINT32, &value);
}

int append(sd_bus_message* message, std::uint64_t value) {
  return sd_bus_message_append_basic(message, SD_BUS_TYPE_UINT64, &value);
}

namespace {

template <typename T>
int append_variant_as(sd_bus_message* message, const sdbus::Variant& value,
                      const std::string& signature) {
  int r = sd_bus_message_open_container(message, SD_BUS_TYPE_VARIANT, signature.c_str());
  if (r >= 0) r = append(message, value.get<T>());
  return r < 0 ? r : sd_bus_message_close_container(message);
}

}  // namespace

int append(sd_bus_message* message, const sdbus::Variant& value) {
  const std::string signature = value.isEmpty() ? std::string() : value.peekValueType();
  if (signature == "s") return append_variant_as<std::string>(message, value, signature);
  if (signature == "o") return append_variant_as<sdbus::ObjectPath>(message, value, signature);
  if (signature == "b") return append_variant_as<bool>(message, value, signature);
  if (signature == "y") return append_variant_as<std::uint8_t>(message, value, signature);
  if (signature == "u") return append_variant_as<std::uint32_t>(message, value, signature);
  if (signature == "t") return append_variant_as<std::uint64_t>(message, value, signature);
  if (signature == "as")
    return append_variant_as<std::vector<std::string>>(message, value, signature);
  if (signature == "ay")
    return append_variant_as<std::vector<std::uint8_t>>(message, value, signature);
  return -EINVAL;
}

namespace {

// Reads one basic value of type `type` into a Variant.
template <typename T, typename Raw = T>
int read_basic(sd_bus_message* message, char type, sdbus::Variant& value) {
  Raw raw{};
  const int r = sd_bus_message_read_basic(message, type, &raw);
  if (r > 0) value = sdbus::Variant(T(raw));
  return r;
}

int read_string_array(sd_bus_message* message, sdbus::Variant& value) {
  char** strings = nullptr;
  const int r = sd_bus_message_read_strv(message, &strings);
  if (r < 0) return r;
  std::vector<std::string> list;
  for (char** s = strings; s != nullptr && *s != nullptr; ++s) {
    list.emplace_back(*s);
    free(*s);
  }
  free(strings);
  value = sdbus::Variant(list);
  return 1;
}

int read_byte_array(sd_bus_message* message, sdbus::Variant& value) {
  const void* bytes = nullptr;
  std::size_t size = 0;
  const int r = sd_bus_message_read_array(message, SD_BUS_TYPE_BYTE, &bytes, &size);
  if (r < 0) return r;
  const auto* first = static_cast<const std::uint8_t*>(bytes);
  value = sdbus::Variant(std::vector<std::uint8_t>(first, first + size));
  return 1;
}

// The variant's contents, entered already: one value of `signature`.
int read_variant_contents(sd_bus_message* message, std::string_view signature,
                          sdbus::Variant& value) {
  if (signature == "s") return read_basic<std::string, const char*>(message, 's', value);
  if (signature == "o") return read_basic<sdbus::ObjectPath, const char*>(message, 'o', value);
  if (signature == "b") return read_basic<bool, int>(message, 'b', value);
  if (signature == "y") return read_basic<std::uint8_t>(message, 'y', value);
  if (signature == "u") return read_basic<std::uint32_t>(message, 'u', value);
  if (signature == "t") return read_basic<std::uint64_t>(message, 't', value);
  if (signature == "as") return read_string_array(message, value);
  if (signature == "ay") return read_byte_array(message, value);
  return sd_bus_message_skip(message, std::string(signature).c_str());
}

}  // namespace

int read(sd_bus_message* message, std::map<std::string, sdbus::Variant>& values) {
  int r = sd_bus_message_enter_container(message, SD_BUS_TYPE_ARRAY, "{sv}");
  if (r < 0) return r;
  while ((r = sd_bus_message_enter_container(message, SD_BUS_TYPE_DICT_ENTRY, "sv")) > 0) {
    const char* key = nullptr;
    r = sd_bus_message_read_basic(message, SD_BUS_TYPE_STRING, &key);
    if (r < 0) return r;
    const char* contents = nullptr;
    r = sd_bus_message_peek_type(message, nullptr, &contents);
    if (r < 0) return r;
    const std::string signature = contents != nullptr ? contents : "";
    r = sd_bus_message_enter_container(message, SD_BUS_TYPE_VARIANT, signature.c_str());
    if (r < 0) return r;
    sdbus::Variant value;
    r = read_variant_contents(message, signature, value);
    if (r < 0) return r;
    if ((r = sd_bus_message_exit_container(message)) < 0) return r;  // variant
    if ((r = sd_bus_message_exit_container(message)) < 0) return r;  // dict entry
    values.insert_or_assign(key, std::move(value));
  }
  if (r < 0) return r;
  return sd_bus_message_exit_container(message);
}

}  // namespace l2tp::dbus
