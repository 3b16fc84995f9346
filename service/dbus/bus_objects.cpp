#include "dbus/bus_objects.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "dbus/caller.h"
#include "dbus/errors.h"

namespace l2tp::dbus {

namespace {

// sdbus-c++'s adaptor hands over the message being dispatched only through
// the object; sdbus-c++ promises it is set inside a method handler.
template <typename Result, typename Act>
void with_call(const sdbus::IObject& object, Result&& result, Act act) {
  const sdbus::Message* call = object.getCurrentlyProcessedMessage();
  if (call == nullptr) {
    result.returnError(failed("internal error: no message being dispatched"));
    return;
  }
  act(raw_message(*call), std::move(result));
}

void emit_object_added(sd_bus* bus, const std::string& path) {
  throw_if_failed(sd_bus_emit_object_added(bus, path.c_str()), "cannot emit InterfacesAdded");
}

void emit_object_removed(sd_bus* bus, const std::string& path) {
  throw_if_failed(sd_bus_emit_object_removed(bus, path.c_str()), "cannot emit InterfacesRemoved");
}

void emit_properties_changed(sd_bus* bus, const std::string& path, const char* interface,
                             const std::vector<std::string>& names) {
  std::vector<char*> strv;
  strv.reserve(names.size() + 1);
  for (const std::string& name : names) strv.push_back(const_cast<char*>(name.c_str()));
  strv.push_back(nullptr);
  throw_if_failed(sd_bus_emit_properties_changed_strv(bus, path.c_str(), interface, strv.data()),
                  "cannot emit PropertiesChanged");
}

// The names of the next PropertiesChanged. The one before InterfacesRemoved
// carries State (closed) and LastResult whenever it is sent at all, and is
// sent unless the last one already announced closed and nothing changed.
std::vector<std::string> signal_names(std::vector<std::string> changed, bool finishing,
                                      bool closed_sent_last) {
  if (!finishing || (changed.empty() && closed_sent_last)) return changed;
  for (const char* name : {"State", "LastResult"}) {
    if (std::find(changed.begin(), changed.end(), name) == changed.end()) changed.push_back(name);
  }
  return changed;
}

bool announces_closed(const std::vector<std::string>& names, fsm::ObjectState state) {
  return state == fsm::ObjectState::kClosed &&
         std::find(names.begin(), names.end(), "State") != names.end();
}

}  // namespace

// ---- Manager -------------------------------------------------------------------

ManagerObject::ManagerObject(sdbus::IConnection& bus, ObjectBackend& backend)
    : AdaptorInterfaces(bus, kManagerPath), backend_(backend) {
  registerAdaptor();
}

ManagerObject::~ManagerObject() {
  unregisterAdaptor();
}

void ManagerObject::config_files_changed() {
  getObject().emitPropertiesChangedSignal(kManagerInterface, {"ConfigFiles"});
}

void ManagerObject::CreateTunnel(ManagerPathResult&& result,
                                 std::map<std::string, sdbus::Variant> options) {
  with_call(getObject(), std::move(result), [&](sd_bus_message* call, ManagerPathResult&& r) {
    backend_.create_tunnel(call, std::move(r), options);
  });
}

void ManagerObject::Listen(ManagerPathResult&& result,
                           std::map<std::string, sdbus::Variant> options) {
  with_call(getObject(), std::move(result), [&](sd_bus_message* call, ManagerPathResult&& r) {
    backend_.listen(call, std::move(r), options);
  });
}

void ManagerObject::Reload(ManagerVoidResult&& result) {
  with_call(getObject(), std::move(result), [&](sd_bus_message* call, ManagerVoidResult&& r) {
    backend_.reload(call, std::move(r));
  });
}

void ManagerObject::Up(ManagerPathsResult&& result, std::string name) {
  with_call(getObject(), std::move(result), [&](sd_bus_message* call, ManagerPathsResult&& r) {
    backend_.config_up(name, call, std::move(r));
  });
}

void ManagerObject::Down(ManagerVoidResult&& result, std::string name) {
  with_call(getObject(), std::move(result), [&](sd_bus_message* call, ManagerVoidResult&& r) {
    backend_.config_down(name, call, std::move(r));
  });
}

ConfigFilesValue ManagerObject::ConfigFiles() {
  return backend_.config_files();
}

std::string ManagerObject::Version() {
  return backend_.version();
}
std::string ManagerObject::DataPlane() {
  return backend_.data_plane();
}
std::vector<std::string> ManagerObject::Features() {
  return backend_.features();
}

// ---- Tunnel --------------------------------------------------------------------

bool EstablishedClock::note(fsm::ObjectState state) {
  if (microseconds_ != 0 || state != fsm::ObjectState::kEstablished) return false;
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  microseconds_ = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(now).count());
  return true;
}

TunnelObject::TunnelObject(sd_bus* bus, ObjectBackend& backend, const daemon::TunnelInfo& info)
    : bus_(bus), backend_(backend), info_(info) {
  established_.note(info.view.state);
}

std::string TunnelObject::path() const {
  return tunnel_path(info_.view.tunnel_id);
}

void TunnelObject::announce() {
  emit_object_added(bus_, path());
}

void TunnelObject::withdraw() {
  emit_object_removed(bus_, path());
}

std::vector<std::string> TunnelObject::update(const daemon::TunnelInfo& info) {
  return publish(info, false);
}

std::vector<std::string> TunnelObject::finish(const daemon::TunnelInfo& info) {
  return publish(info, true);
}

std::vector<std::string> TunnelObject::publish(const daemon::TunnelInfo& info, bool finishing) {
  std::vector<std::string> names =
      signal_names(changed_properties(info_, info), finishing, closed_sent_last_);
  if (established_.note(info.view.state)) names.emplace_back("EstablishedTimestamp");
  info_ = info;
  if (names.empty()) return names;
  emit_properties_changed(bus_, path(), kTunnelInterface, names);
  closed_sent_last_ = announces_closed(names, info_.view.state);
  return names;
}

void TunnelObject::CreateSession(PathResult&& result,
                                 std::map<std::string, sdbus::Variant> options) {
  sd_bus_message* call = result.call();
  backend_.create_session(info_.view.tunnel_id, call, std::move(result), options);
}

void TunnelObject::Close(VoidResult&& result) {
  sd_bus_message* call = result.call();
  backend_.close_tunnel(info_.view.tunnel_id, call, std::move(result));
}

std::string TunnelObject::State() {
  return fsm::to_string(info_.view.state);
}
std::string TunnelObject::Mode() {
  return fsm::to_string(info_.view.mode);
}
std::uint32_t TunnelObject::Version() {
  return to_property(info_.view.version);
}
std::string TunnelObject::Encapsulation() {
  return to_property(info_.view.encapsulation);
}
std::string TunnelObject::Role() {
  return fsm::to_string(info_.view.role);
}
std::string TunnelObject::Local() {
  return info_.view.local.to_string();
}
std::string TunnelObject::Peer() {
  return info_.view.peer.to_string();
}
std::uint32_t TunnelObject::TunnelId() {
  return info_.view.tunnel_id;
}
std::uint32_t TunnelObject::PeerTunnelId() {
  return info_.view.peer_tunnel_id;
}
std::string TunnelObject::PeerHostName() {
  return to_bus_string(info_.view.peer_host_name);
}
std::string TunnelObject::PeerVendorName() {
  return to_bus_string(info_.view.peer_vendor_name);
}
std::uint32_t TunnelObject::Owner() {
  return info_.owner;
}
std::uint32_t TunnelObject::HelloInterval() {
  return static_cast<std::uint32_t>(
      std::chrono::duration_cast<std::chrono::seconds>(info_.view.hello_interval).count());
}
sdbus::ObjectPath TunnelObject::Listener() {
  const std::uint32_t listener_id = info_.view.listener_id;
  return sdbus::ObjectPath(listener_id != 0 ? listener_path(listener_id) : "/");
}
std::string TunnelObject::ConfigFile() {
  return to_bus_string(info_.config_file);
}
std::vector<sdbus::ObjectPath> TunnelObject::Sessions() {
  return session_paths(info_.view.tunnel_id, backend_.tunnel_sessions(info_.view.tunnel_id));
}
std::map<std::string, sdbus::Variant> TunnelObject::Ipsec() {
  return ipsec_status(info_.view.ipsec);
}
LastResultValue TunnelObject::LastResult() {
  return to_property(info_.view.last_result);
}
std::uint64_t TunnelObject::EstablishedTimestamp() {
  return established_.timestamp();
}
std::map<std::string, std::uint64_t> TunnelObject::Statistics() {
  return backend_.tunnel_statistics(info_.view.tunnel_id);
}

// ---- Session -------------------------------------------------------------------

SessionObject::SessionObject(sd_bus* bus, ObjectBackend& backend, const daemon::SessionInfo& info)
    : bus_(bus), backend_(backend), info_(info) {
  established_.note(info.view.state);
}

std::string SessionObject::path() const {
  return session_path(info_.view.tunnel_id, info_.view.session_id);
}

void SessionObject::announce() {
  emit_object_added(bus_, path());
}

void SessionObject::withdraw() {
  emit_object_removed(bus_, path());
}

std::vector<std::string> SessionObject::update(const daemon::SessionInfo& info) {
  return publish(info, false);
}

std::vector<std::string> SessionObject::finish(const daemon::SessionInfo& info) {
  return publish(info, true);
}

std::vector<std::string> SessionObject::publish(const daemon::SessionInfo& info, bool finishing) {
  std::vector<std::string> names =
      signal_names(changed_properties(info_, info), finishing, closed_sent_last_);
  if (established_.note(info.view.state)) names.emplace_back("EstablishedTimestamp");
  info_ = info;
  if (names.empty()) return names;
  emit_properties_changed(bus_, path(), kSessionInterface, names);
  closed_sent_last_ = announces_closed(names, info_.view.state);
  return names;
}

void SessionObject::Close(VoidResult&& result) {
  sd_bus_message* call = result.call();
  backend_.close_session(info_.view.tunnel_id, info_.view.session_id, call, std::move(result));
}

std::string SessionObject::State() {
  return fsm::to_string(info_.view.state);
}
std::string SessionObject::Pseudowire() {
  return fsm::to_string(info_.view.pseudowire);
}
std::uint32_t SessionObject::SessionId() {
  return info_.view.session_id;
}
sdbus::ObjectPath SessionObject::Tunnel() {
  return sdbus::ObjectPath(tunnel_path(info_.view.tunnel_id));
}
std::uint32_t SessionObject::PeerSessionId() {
  return info_.view.peer_session_id;
}
std::string SessionObject::InterfaceName() {
  return to_bus_string(info_.view.interface_name);
}
std::uint32_t SessionObject::Owner() {
  return info_.owner;
}
LastResultValue SessionObject::LastResult() {
  return to_property(info_.view.last_result);
}
std::uint64_t SessionObject::EstablishedTimestamp() {
  return established_.timestamp();
}
std::map<std::string, sdbus::Variant> SessionObject::Ip4Config() {
  return ip4_config(info_.view.ppp);
}
std::map<std::string, sdbus::Variant> SessionObject::Ip6Config() {
  return ip6_config(info_.view.ppp);
}
std::string SessionObject::Ip6Negotiation() {
  return ip6_negotiation(info_.view);
}
std::map<std::string, std::uint64_t> SessionObject::Statistics() {
  return backend_.session_statistics(info_.view.tunnel_id, info_.view.session_id);
}

// ---- Listener ------------------------------------------------------------------

ListenerObject::ListenerObject(sd_bus* bus, ObjectBackend& backend,
                               const daemon::ListenerInfo& info)
    : bus_(bus), backend_(backend), info_(info) {}

std::string ListenerObject::path() const {
  return listener_path(info_.view.listener_id);
}

void ListenerObject::announce() {
  emit_object_added(bus_, path());
}

std::vector<std::string> ListenerObject::update(const daemon::ListenerInfo& info) {
  std::vector<std::string> names;
  if (info.state != info_.state) names.emplace_back("State");
  info_.state = info.state;
  if (!names.empty()) emit_properties_changed(bus_, path(), kListenerInterface, names);
  return names;
}

void ListenerObject::withdraw() {
  emit_object_removed(bus_, path());
}

void ListenerObject::Close(VoidResult&& result) {
  sd_bus_message* call = result.call();
  backend_.close_listener(info_.view.listener_id, call, std::move(result));
}

std::string ListenerObject::Local() {
  return info_.view.local.to_string();
}
std::uint32_t ListenerObject::Version() {
  return to_property(info_.view.version);
}
std::string ListenerObject::Encapsulation() {
  return to_property(info_.view.encapsulation);
}
std::string ListenerObject::State() {
  return daemon::to_string(info_.state);
}
std::string ListenerObject::ConfigFile() {
  return to_bus_string(info_.config_file);
}
std::vector<sdbus::ObjectPath> ListenerObject::Tunnels() {
  return tunnel_paths(backend_.listener_tunnels(info_.view.listener_id));
}
std::map<std::string, std::uint64_t> ListenerObject::Statistics() {
  return backend_.listener_statistics(info_.view.listener_id);
}

}  // namespace l2tp::dbus
