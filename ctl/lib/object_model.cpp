#include "lib/object_model.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "lib/translation.h"

namespace l2tp::ctl {

namespace {

constexpr std::string_view kListenerPrefix = "/org/l2tpbus1/listener/";

std::uint64_t number(const nlohmann::json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_number_unsigned() ? it->get<std::uint64_t>() : 0;
}

std::optional<std::uint32_t> parse_id(std::string_view text) {
  std::uint32_t value = 0;
  if (text.empty() || (text.size() > 1 && text.front() == '0')) return std::nullopt;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::uint64_t listener_number(const nlohmann::json& listener) {
  const std::string path = listener.value("Path", "");
  if (!path.starts_with(kListenerPrefix)) return 0;
  return parse_id(std::string_view(path).substr(kListenerPrefix.size())).value_or(0);
}

std::string session_tunnel_id(const nlohmann::json& session) {
  const std::string tunnel_path = session.value("Tunnel", "");
  return tunnel_path.substr(tunnel_path.rfind('/') + 1);
}

}  // namespace

const char* to_string(ObjectType type) {
  switch (type) {
    case ObjectType::kManager:
      return "manager";
    case ObjectType::kTunnel:
      return "tunnel";
    case ObjectType::kSession:
      return "session";
    case ObjectType::kListener:
      return "listener";
  }
  return "object";
}

std::optional<ObjectType> object_type_of_interface(std::string_view interface) {
  if (interface == kManagerInterface) return ObjectType::kManager;
  if (interface == kTunnelInterface) return ObjectType::kTunnel;
  if (interface == kSessionInterface) return ObjectType::kSession;
  if (interface == kListenerInterface) return ObjectType::kListener;
  return std::nullopt;
}

nlohmann::json printable_properties(const std::string& path, const nlohmann::json& properties) {
  nlohmann::json printable = properties.is_object() ? properties : nlohmann::json::object();
  printable["Path"] = path;
  auto last = printable.find("LastResult");
  if (last != printable.end() && last->is_array() && last->size() == 3) {
    *last = nlohmann::json{{"Result", (*last)[0]}, {"Error", (*last)[1]}, {"Message", (*last)[2]}};
  }
  return printable;
}

nlohmann::json ObjectModel::to_json() const {
  return nlohmann::json{
      {"Daemon", daemon}, {"Tunnels", tunnels}, {"Sessions", sessions}, {"Listeners", listeners}};
}

std::vector<const nlohmann::json*> ObjectModel::sessions_of(const nlohmann::json& tunnel) const {
  std::vector<const nlohmann::json*> found;
  const std::string path = tunnel.value("Path", "");
  for (const nlohmann::json& session : sessions) {
    if (session.value("Tunnel", "") == path) found.push_back(&session);
  }
  return found;
}

ObjectModel model_from_managed_objects(const nlohmann::json& objects) {
  ObjectModel model;
  if (!objects.is_object()) return model;
  for (const auto& [path, interfaces] : objects.items()) {
    if (!interfaces.is_object()) continue;
    for (const auto& [interface, properties] : interfaces.items()) {
      const std::optional<ObjectType> type = object_type_of_interface(interface);
      if (!type) continue;
      switch (*type) {
        case ObjectType::kManager:
          model.daemon = properties;
          break;
        case ObjectType::kTunnel:
          model.tunnels.push_back(printable_properties(path, properties));
          break;
        case ObjectType::kSession:
          model.sessions.push_back(printable_properties(path, properties));
          break;
        case ObjectType::kListener:
          model.listeners.push_back(printable_properties(path, properties));
          break;
      }
    }
  }
  std::ranges::sort(model.tunnels, {}, [](const auto& t) { return number(t, "TunnelId"); });
  std::ranges::sort(model.sessions, {}, [](const auto& s) {
    return std::pair(std::stoull("0" + session_tunnel_id(s)), number(s, "SessionId"));
  });
  std::ranges::sort(model.listeners, {}, listener_number);
  return model;
}

std::expected<ObjectRef, std::string> find_object(const ObjectModel& model, std::string_view name) {
  const auto by_path = [&](std::string_view path) -> std::optional<ObjectRef> {
    for (const auto& tunnel : model.tunnels)
      if (tunnel.value("Path", "") == path) return ObjectRef{ObjectType::kTunnel, &tunnel};
    for (const auto& session : model.sessions)
      if (session.value("Path", "") == path) return ObjectRef{ObjectType::kSession, &session};
    for (const auto& listener : model.listeners)
      if (listener.value("Path", "") == path) return ObjectRef{ObjectType::kListener, &listener};
    return std::nullopt;
  };
  const auto missing = [&] {
    return fmt::format(fmt::runtime(_("no tunnel, session or listener named \"{}\"")), name);
  };

  if (name.starts_with('/')) {
    if (auto found = by_path(name)) return *found;
    return std::unexpected(missing());
  }
  if (name.starts_with("listener/")) {
    if (!parse_id(name.substr(9))) return std::unexpected(missing());
    if (auto found = by_path(std::string(kListenerPrefix) + std::string(name.substr(9)))) {
      return *found;
    }
    return std::unexpected(missing());
  }
  const std::size_t slash = name.find('/');
  if (slash != std::string_view::npos) {
    auto tunnel = parse_id(name.substr(0, slash));
    auto session = parse_id(name.substr(slash + 1));
    if (!tunnel || !session) return std::unexpected(missing());
    if (auto found =
            by_path(fmt::format("/org/l2tpbus1/tunnel/{}/session/{}", *tunnel, *session))) {
      return *found;
    }
    return std::unexpected(missing());
  }
  if (auto id = parse_id(name)) {
    if (auto found = by_path(fmt::format("/org/l2tpbus1/tunnel/{}", *id))) return *found;
  }
  for (const auto& tunnel : model.tunnels)
    if (tunnel.value("ConfigFile", "") == name) return ObjectRef{ObjectType::kTunnel, &tunnel};
  for (const auto& listener : model.listeners)
    if (listener.value("ConfigFile", "") == name)
      return ObjectRef{ObjectType::kListener, &listener};
  return std::unexpected(missing());
}

std::string display_name(ObjectType type, const nlohmann::json& object) {
  switch (type) {
    case ObjectType::kTunnel:
      return std::to_string(number(object, "TunnelId"));
    case ObjectType::kSession:
      return session_tunnel_id(object) + "/" + std::to_string(number(object, "SessionId"));
    case ObjectType::kListener:
      return "listener/" + std::to_string(listener_number(object));
    case ObjectType::kManager:
      return "l2tpbusd";
  }
  return "";
}

}  // namespace l2tp::ctl
