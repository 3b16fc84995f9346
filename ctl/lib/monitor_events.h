// `l2tpctl monitor`: the daemon's signals (InterfacesAdded,
// PropertiesChanged, InterfacesRemoved) as one line each for people, or one
// JSON object per line (NDJSON) for scripts. Pure: tested from JSON.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "lib/object_model.h"

namespace l2tp::ctl {

struct BusEvent {
  enum class Kind : std::uint8_t { kAdded, kChanged, kRemoved };
  Kind kind = Kind::kChanged;
  ObjectType type = ObjectType::kTunnel;
  std::string path;
  // Added: all properties; changed: those that changed (printable_properties
  // form, without Path); removed: none.
  nlohmann::json properties = nlohmann::json::object();
  std::chrono::system_clock::time_point time;
};

// "4711", "4711/9422", "listener/1" from a path; nullopt for other paths.
std::optional<std::pair<ObjectType, std::string>> name_of_path(std::string_view path);

// "12:00:01.123 tunnel 4711 added: connecting, peer 192.0.2.1:1701".
std::string monitor_line(const BusEvent& event, bool color);
// {"Time": µs, "Event": "added|changed|removed", "Type": "tunnel", "Name":
//  "4711", "Path": ..., "Properties": {...}}
nlohmann::json monitor_json(const BusEvent& event);

}  // namespace l2tp::ctl
