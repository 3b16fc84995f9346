// Where sd-bus finds tunnels, sessions and listeners: one fallback vtable per
// interface below the paths they live under, and enumerators that list them
// for introspection and GetManagedObjects. sdbus-c++ registers a vtable per
// object (its own tables and sd-bus's, about 4 KB an object); a fallback is
// registered once, whatever the number of objects.
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "dbus/bus_service.h"

namespace l2tp::dbus {

namespace {

constexpr const char* kTunnelsPath = "/org/l2tpbus1/tunnel";
constexpr const char* kListenersPath = "/org/l2tpbus1/listener";
constexpr std::string_view kSessionsNode = "/session";

// An strv for sd-bus, which frees it; -ENOMEM when it cannot be made.
int to_strv(const std::vector<std::string>& paths, char*** strv) {
  char** out = static_cast<char**>(calloc(paths.size() + 1, sizeof(char*)));
  if (out == nullptr) return -ENOMEM;
  for (std::size_t i = 0; i < paths.size(); ++i) {
    out[i] = strdup(paths[i].c_str());
    if (out[i] == nullptr) {
      for (std::size_t j = 0; j < i; ++j) free(out[j]);
      free(out);
      return -ENOMEM;
    }
  }
  *strv = out;
  return 0;
}

}  // namespace

void BusService::register_object_tree() {
  const auto add = [this](const char* prefix, const char* interface, const sd_bus_vtable* vtable,
                          sd_bus_object_find_t find) {
    sd_bus_slot* slot = nullptr;
    throw_if_failed(
        sd_bus_add_fallback_vtable(raw_bus_, &slot, prefix, interface, vtable, find, this),
        "cannot register a vtable");
    tree_slots_.push_back(slot);
  };
  add(kTunnelsPath, kTunnelInterface, org::l2tpbus1::Tunnel_vtable::vtable(), &find_tunnel);
  add(kTunnelsPath, kSessionInterface, org::l2tpbus1::Session_vtable::vtable(), &find_session);
  add(kListenersPath, kListenerInterface, org::l2tpbus1::Listener_vtable::vtable(), &find_listener);
  for (const auto& [prefix, enumerate] :
       {std::pair{kTunnelsPath, &enumerate_tunnels}, {kListenersPath, &enumerate_listeners}}) {
    sd_bus_slot* slot = nullptr;
    throw_if_failed(sd_bus_add_node_enumerator(raw_bus_, &slot, prefix, enumerate, this),
                    "cannot register an enumerator");
    tree_slots_.push_back(slot);
  }
}

namespace {

// The object behind `key` in `objects`, handed to sd-bus as its vtable's
// class; 0 when the path names none.
template <typename Vtable, typename Objects, typename Key>
int hand_over(const Objects& objects, const std::optional<Key>& key, void** found) {
  if (!key) return 0;
  const auto it = objects.find(*key);
  if (it == objects.end()) return 0;
  *found = static_cast<Vtable*>(it->second.get());
  return 1;
}

}  // namespace

int BusService::find_tunnel(sd_bus*, const char* path, const char*, void* service, void** found,
                            sd_bus_error*) {
  return hand_over<org::l2tpbus1::Tunnel_vtable>(static_cast<BusService*>(service)->tunnels_,
                                                 tunnel_id_of(path), found);
}

int BusService::find_session(sd_bus*, const char* path, const char*, void* service, void** found,
                             sd_bus_error*) {
  return hand_over<org::l2tpbus1::Session_vtable>(static_cast<BusService*>(service)->sessions_,
                                                  session_ids_of(path), found);
}

int BusService::find_listener(sd_bus*, const char* path, const char*, void* service, void** found,
                              sd_bus_error*) {
  return hand_over<org::l2tpbus1::Listener_vtable>(static_cast<BusService*>(service)->listeners_,
                                                   listener_id_of(path), found);
}

int BusService::enumerate_tunnels(sd_bus*, const char* prefix, void* service, char*** paths,
                                  sd_bus_error*) {
  const BusService& self = *static_cast<BusService*>(service);
  std::vector<std::string> listed;
  // Introspecting a tunnel: the node its sessions hang below, then the
  // sessions themselves, so each introspection names its direct children.
  const std::string_view path(prefix);
  if (const std::optional<std::uint32_t> tunnel_id = tunnel_id_of(path)) {
    if (!self.sessions_on_bus(*tunnel_id).empty()) listed.push_back(std::string(path) + "/session");
    return to_strv(listed, paths);
  }
  if (path.ends_with(kSessionsNode)) {
    const std::optional<std::uint32_t> tunnel_id =
        tunnel_id_of(path.substr(0, path.size() - kSessionsNode.size()));
    if (tunnel_id) {
      for (const std::uint32_t session_id : self.sessions_on_bus(*tunnel_id))
        listed.push_back(session_path(*tunnel_id, session_id));
    }
    return to_strv(listed, paths);
  }
  // The whole subtree (GetManagedObjects, introspecting the root of tunnels).
  listed.reserve(self.tunnels_.size() + self.sessions_.size());
  for (const auto& [tunnel_id, object] : self.tunnels_) listed.push_back(tunnel_path(tunnel_id));
  for (const auto& [key, object] : self.sessions_)
    listed.push_back(session_path(key.first, key.second));
  return to_strv(listed, paths);
}

int BusService::enumerate_listeners(sd_bus*, const char*, void* service, char*** paths,
                                    sd_bus_error*) {
  const BusService& self = *static_cast<BusService*>(service);
  std::vector<std::string> listed;
  listed.reserve(self.listeners_.size());
  for (const auto& [listener_id, object] : self.listeners_)
    listed.push_back(listener_path(listener_id));
  return to_strv(listed, paths);
}

}  // namespace l2tp::dbus
