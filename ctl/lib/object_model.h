// The daemon's objects as l2tpctl sees them: GetManagedObjects' answer,
// sorted into tunnels, sessions and listeners, each a JSON object of its
// D-Bus properties (the JSON l2tpctl prints: doc/l2tpctl-json.md), and the
// names a person gives them on the command line. Pure: tested from JSON.
#pragma once

#include <expected>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace l2tp::ctl {

inline constexpr const char* kManagerInterface = "org.l2tpbus1.Manager";
inline constexpr const char* kTunnelInterface = "org.l2tpbus1.Tunnel";
inline constexpr const char* kSessionInterface = "org.l2tpbus1.Session";
inline constexpr const char* kListenerInterface = "org.l2tpbus1.Listener";

enum class ObjectType : std::uint8_t { kManager, kTunnel, kSession, kListener };

// "tunnel", "session", "listener" (and "manager").
const char* to_string(ObjectType type);
std::optional<ObjectType> object_type_of_interface(std::string_view interface);

// One object's properties as printed: every property as the bus gives it,
// with "Path" added and LastResult as {"Result", "Error", "Message"}.
nlohmann::json printable_properties(const std::string& path, const nlohmann::json& properties);

struct ObjectModel {
  nlohmann::json daemon = nlohmann::json::object();  // the Manager's properties
  std::vector<nlohmann::json> tunnels;               // by TunnelId
  std::vector<nlohmann::json> sessions;              // by tunnel, then SessionId
  std::vector<nlohmann::json> listeners;             // by listener number

  // {"Daemon": ..., "Tunnels": [...], "Sessions": [...], "Listeners": [...]}
  nlohmann::json to_json() const;
  std::vector<const nlohmann::json*> sessions_of(const nlohmann::json& tunnel) const;
};

// From {path: {interface: {property: value}}}; objects of unknown
// interfaces are left out.
ObjectModel model_from_managed_objects(const nlohmann::json& objects);

struct ObjectRef {
  ObjectType type = ObjectType::kTunnel;
  const nlohmann::json* object = nullptr;  // into the model
  std::string path() const { return object->at("Path").get<std::string>(); }
};

// A tunnel by its id ("4711"), a session by "TUNNEL/SESSION" ("4711/9422"),
// a listener by "listener/N", any of them by D-Bus object path, and a
// tunnel or listener by the name of its config file ("office"). The error
// says what was not found.
std::expected<ObjectRef, std::string> find_object(const ObjectModel& model, std::string_view name);

// How an object is named back to a person: "4711", "4711/9422", "listener/1".
std::string display_name(ObjectType type, const nlohmann::json& object);

}  // namespace l2tp::ctl
