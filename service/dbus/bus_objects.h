// The objects on the bus, one class per interface of dbus/*.xml, built on the
// code generated from that XML: sdbus-c++'s adaptor for the one Manager, and
// for tunnels, sessions and listeners the sd-bus fallback vtables of
// tools/dbus-vtable-gen.py, which BusService registers once and through
// which it finds each object by its path (so an object costs the bus no
// registration of its own). Each keeps the last view it announced: getters
// read it (so a PropertiesChanged carries exactly the values it announces,
// final ones included), and the next view is diffed against it. Calls are
// handed to an ObjectBackend, which runs the pipeline.
#pragma once

#include <sdbus-c++/sdbus-c++.h>
#include <systemd/sd-bus.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "daemon/daemon.h"
#include "dbus/message_codec.h"
#include "dbus/option_dictionary.h"
#include "dbus/properties.h"
// Generated at build time from dbus/*.xml.
#include "dbus/listener_vtable.h"
#include "dbus/manager_adaptor.h"
#include "dbus/session_vtable.h"
#include "dbus/tunnel_vtable.h"

namespace l2tp::dbus {

// The Manager's methods answer through sdbus-c++, the others through sd-bus.
using ManagerPathResult = sdbus::Result<sdbus::ObjectPath>;
using ManagerPathsResult = sdbus::Result<std::vector<sdbus::ObjectPath>>;
using ManagerVoidResult = sdbus::Result<>;
using PathResult = MethodResult<sdbus::ObjectPath>;
using VoidResult = MethodResult<>;

// What the objects need from the service behind them. `call` is the message
// being dispatched: valid only until the method returns.
class ObjectBackend {
 public:
  virtual ~ObjectBackend() = default;
  virtual void create_tunnel(sd_bus_message* call, ManagerPathResult result,
                             const OptionDictionary& options) = 0;
  virtual void listen(sd_bus_message* call, ManagerPathResult result,
                      const OptionDictionary& options) = 0;
  virtual void create_session(std::uint32_t tunnel_id, sd_bus_message* call, PathResult result,
                              const OptionDictionary& options) = 0;
  virtual void close_tunnel(std::uint32_t tunnel_id, sd_bus_message* call, VoidResult result) = 0;
  virtual void close_session(std::uint32_t tunnel_id, std::uint32_t session_id,
                             sd_bus_message* call, VoidResult result) = 0;
  virtual void close_listener(std::uint32_t listener_id, sd_bus_message* call,
                              VoidResult result) = 0;
  virtual void reload(sd_bus_message* call, ManagerVoidResult result) = 0;
  virtual void config_up(const std::string& name, sd_bus_message* call,
                         ManagerPathsResult result) = 0;
  virtual void config_down(const std::string& name, sd_bus_message* call,
                           ManagerVoidResult result) = 0;

  virtual std::string version() const = 0;
  virtual std::string data_plane() const = 0;
  virtual std::vector<std::string> features() const = 0;
  virtual ConfigFilesValue config_files() const = 0;
  virtual daemon::Statistics tunnel_statistics(std::uint32_t tunnel_id) const = 0;
  virtual daemon::Statistics session_statistics(std::uint32_t tunnel_id,
                                                std::uint32_t session_id) const = 0;
  virtual daemon::Statistics listener_statistics(std::uint32_t listener_id) const = 0;
  virtual std::vector<std::uint32_t> listener_tunnels(std::uint32_t listener_id) const = 0;
  virtual std::vector<std::uint32_t> tunnel_sessions(std::uint32_t tunnel_id) const = 0;
};

// /org/l2tpbus1: the Manager and the ObjectManager of everything below it.
class ManagerObject final
    : public sdbus::AdaptorInterfaces<org::l2tpbus1::Manager_adaptor, sdbus::ObjectManager_adaptor,
                                      sdbus::Properties_adaptor> {
 public:
  ManagerObject(sdbus::IConnection& bus, ObjectBackend& backend);
  ~ManagerObject();

  // PropertiesChanged of ConfigFiles, read from the backend as it is now.
  void config_files_changed();

 private:
  void CreateTunnel(ManagerPathResult&& result,
                    std::map<std::string, sdbus::Variant> options) override;
  void Listen(ManagerPathResult&& result, std::map<std::string, sdbus::Variant> options) override;
  void Reload(ManagerVoidResult&& result) override;
  void Up(ManagerPathsResult&& result, std::string name) override;
  void Down(ManagerVoidResult&& result, std::string name) override;
  std::string Version() override;
  std::string DataPlane() override;
  std::vector<std::string> Features() override;
  ConfigFilesValue ConfigFiles() override;

  ObjectBackend& backend_;
};

// EstablishedTimestamp: the wall-clock time the bus layer first saw an
// object established (the engine keeps monotonic time only, and the event
// reaches the bus at once). Set once; an object never becomes established twice.
class EstablishedClock {
 public:
  // True when `state` makes this the moment, so EstablishedTimestamp changed.
  bool note(fsm::ObjectState state);
  std::uint64_t timestamp() const { return microseconds_; }

 private:
  std::uint64_t microseconds_ = 0;
};

// Tunnels, sessions and listeners come and go: found through the fallback
// vtables once BusService holds them (not yet announced), announce() sends
// InterfacesAdded, update() diffs and sends PropertiesChanged, withdraw()
// sends InterfacesRemoved, all while BusService still finds them. finish() sends the last
// PropertiesChanged before withdraw(): it carries State closed and LastResult, unless the
// PropertiesChanged sent last already announced closed and nothing changed since.
class TunnelObject final : public org::l2tpbus1::Tunnel_vtable {
 public:
  TunnelObject(sd_bus* bus, ObjectBackend& backend, const daemon::TunnelInfo& info);
  ~TunnelObject() override = default;

  void announce();
  // Both return the names sent.
  std::vector<std::string> update(const daemon::TunnelInfo& info);
  std::vector<std::string> finish(const daemon::TunnelInfo& info);
  void withdraw();
  const daemon::TunnelInfo& info() const { return info_; }

 private:
  void CreateSession(PathResult&& result, std::map<std::string, sdbus::Variant> options) override;
  void Close(VoidResult&& result) override;
  std::string State() override;
  std::string Mode() override;
  std::uint32_t Version() override;
  std::string Encapsulation() override;
  std::string Role() override;
  std::string Local() override;
  std::string Peer() override;
  std::uint32_t TunnelId() override;
  std::uint32_t PeerTunnelId() override;
  std::string PeerHostName() override;
  std::string PeerVendorName() override;
  std::uint32_t Owner() override;
  std::uint32_t HelloInterval() override;
  sdbus::ObjectPath Listener() override;
  std::string ConfigFile() override;
  std::vector<sdbus::ObjectPath> Sessions() override;
  std::map<std::string, sdbus::Variant> Ipsec() override;
  LastResultValue LastResult() override;
  std::uint64_t EstablishedTimestamp() override;
  std::map<std::string, std::uint64_t> Statistics() override;

  std::vector<std::string> publish(const daemon::TunnelInfo& info, bool finishing);

  std::string path() const;

  sd_bus* bus_;
  ObjectBackend& backend_;
  daemon::TunnelInfo info_;
  EstablishedClock established_;
  bool closed_sent_last_ = false;
};

class SessionObject final : public org::l2tpbus1::Session_vtable {
 public:
  SessionObject(sd_bus* bus, ObjectBackend& backend, const daemon::SessionInfo& info);
  ~SessionObject() override = default;

  void announce();
  // Both return the names sent.
  std::vector<std::string> update(const daemon::SessionInfo& info);
  std::vector<std::string> finish(const daemon::SessionInfo& info);
  void withdraw();
  const daemon::SessionInfo& info() const { return info_; }

 private:
  void Close(VoidResult&& result) override;
  std::string State() override;
  std::string Pseudowire() override;
  std::uint32_t SessionId() override;
  sdbus::ObjectPath Tunnel() override;
  std::uint32_t PeerSessionId() override;
  std::string InterfaceName() override;
  std::uint32_t Owner() override;
  LastResultValue LastResult() override;
  std::map<std::string, sdbus::Variant> Ip4Config() override;
  std::map<std::string, sdbus::Variant> Ip6Config() override;
  std::string Ip6Negotiation() override;
  std::uint64_t EstablishedTimestamp() override;
  std::map<std::string, std::uint64_t> Statistics() override;

  std::vector<std::string> publish(const daemon::SessionInfo& info, bool finishing);

  std::string path() const;

  sd_bus* bus_;
  ObjectBackend& backend_;
  daemon::SessionInfo info_;
  EstablishedClock established_;
  bool closed_sent_last_ = false;
};

class ListenerObject final : public org::l2tpbus1::Listener_vtable {
 public:
  ListenerObject(sd_bus* bus, ObjectBackend& backend, const daemon::ListenerInfo& info);
  ~ListenerObject() override = default;

  void announce();
  // Sends PropertiesChanged of State when it changed; returns the names sent.
  std::vector<std::string> update(const daemon::ListenerInfo& info);
  void withdraw();

 private:
  void Close(VoidResult&& result) override;
  std::string Local() override;
  std::uint32_t Version() override;
  std::string Encapsulation() override;
  std::string State() override;
  std::string ConfigFile() override;
  std::vector<sdbus::ObjectPath> Tunnels() override;
  std::map<std::string, std::uint64_t> Statistics() override;

  std::string path() const;

  sd_bus* bus_;
  ObjectBackend& backend_;
  daemon::ListenerInfo info_;
};

}  // namespace l2tp::dbus
