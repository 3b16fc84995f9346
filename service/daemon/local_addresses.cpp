// Objects of config files whose local address is not on this host yet:
// l2tpbusd may start before the network is configured (or an IPv6 address
// is still tentative). UDP listeners bind anyway (free bind) and wait for
// datagrams; L2TPIP listeners bind once the address is here; static and
// quiescent tunnels stay connecting until it is. rtnetlink says when
// addresses change; where it cannot, the daemon looks every few seconds.
// Listeners on one address also show it going away (State waiting).
#include "daemon/daemon_impl.h"
#include "daemon/log.h"

namespace l2tp::daemon {

namespace {

constexpr Duration kAddressPollInterval{2000};

std::string listener_name(std::uint32_t listener_id) {
  return "listener " + std::to_string(listener_id);
}

}  // namespace

const char* to_string(ListenerState state) {
  return state == ListenerState::kListening ? "listening" : "waiting";
}

ListenerState DaemonImpl::listener_state(const ListenerPlace& place,
                                         const fsm::Endpoint& local) const {
  if (!place.bound) return ListenerState::kWaiting;
  if (!specific(local) || sockets_->is_local_address(local)) return ListenerState::kListening;
  return ListenerState::kWaiting;
}

bool DaemonImpl::anything_to_watch() const {
  if (!tunnels_awaiting_address_.empty()) return true;
  for (const auto& [id, place] : listener_places_) {
    if (specific(place.local)) return true;
  }
  return false;
}

void DaemonImpl::watch_local_addresses() {
  switch (address_watch_) {
    case AddressWatch::kEvents:
      return;
    case AddressWatch::kPolling:
      if (!address_poll_->armed()) address_poll_->arm(kAddressPollInterval);
      return;
    case AddressWatch::kNone:
      break;
  }
  auto watched = sockets_->watch_addresses([this] { local_addresses_changed(); });
  if (watched) {
    address_watch_ = AddressWatch::kEvents;
    return;
  }
  l2tp::daemon::log(LogLevel::kWarning, "daemon", "cannot follow this host's addresses (",
                    watched.error(), "): looking every 2 s while an object waits for one");
  address_watch_ = AddressWatch::kPolling;
  address_poll_ = alarms_.create([this] { poll_local_addresses(); });
  address_poll_->arm(kAddressPollInterval);
}

void DaemonImpl::poll_local_addresses() {
  local_addresses_changed();
  if (anything_to_watch() && !address_poll_->armed()) address_poll_->arm(kAddressPollInterval);
}

void DaemonImpl::local_addresses_changed() {
  std::vector<std::uint32_t> ready;
  for (const auto& [tunnel_id, local] : tunnels_awaiting_address_) {
    if (sockets_->is_local_address(local)) ready.push_back(tunnel_id);
  }
  for (const std::uint32_t tunnel_id : ready) {
    l2tp::daemon::log(LogLevel::kNotice, "tunnel " + std::to_string(tunnel_id),
                      tunnels_awaiting_address_[tunnel_id].to_string(), " is here now");
    tunnels_awaiting_address_.erase(tunnel_id);
    engine_->local_address_ready(tunnel_id);
  }

  std::vector<std::uint32_t> changed;
  for (auto& [listener_id, place] : listener_places_) {
    if (!specific(place.local)) continue;
    const bool present = sockets_->is_local_address(place.local);
    if (!place.bound && present) {
      auto bound = sockets_->open_listener(place.socket, place.local, place.encapsulation,
                                           place.require_esp, place.free_bind);
      if (bound) {
        place.bound = true;
      } else {
        l2tp::daemon::log(LogLevel::kWarning, listener_name(listener_id), "cannot listen on ",
                          place.local.to_string(), " yet: ", bound.error());
      }
    }
    const ListenerState now =
        place.bound && present ? ListenerState::kListening : ListenerState::kWaiting;
    if (now == place.state) continue;
    place.state = now;
    changed.push_back(listener_id);
    l2tp::daemon::log(LogLevel::kNotice, listener_name(listener_id),
                      now == ListenerState::kListening
                          ? "listening on " + place.local.to_string() + ": the address is here now"
                          : "waits: " + place.local.to_string() + " is no longer on this host");
  }
  for (const std::uint32_t listener_id : changed) {
    if (auto view = engine_->listener(listener_id))
      observer_.listener_changed(listener_info(*view));
  }
}

}  // namespace l2tp::daemon
