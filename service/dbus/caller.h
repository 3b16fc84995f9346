// Who is calling: the unique bus name (polkit's subject), the uid the bus
// daemon holds for that connection (the one polkit decides about), and
// whether the call allows interactive authorization.
#pragma once

#include <sdbus-c++/Error.h>
#include <sys/types.h>

#include <cstddef>
#include <expected>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

struct sd_bus;
struct sd_bus_message;

namespace sdbus {
class IConnection;
class IProxy;
class Message;
}  // namespace sdbus

namespace l2tp::dbus {

struct Caller {
  std::string sender;
  uid_t uid = 0;
  bool allow_interaction = false;
};

// A seam: the daemon asks the bus daemon; tests pose as other uids.
class CallerIdentifier {
 public:
  using Identified = std::function<void(std::expected<Caller, sdbus::Error>)>;
  using Departed = std::function<void(const std::string& sender)>;

  virtual ~CallerIdentifier() = default;
  // Reads the sender and flags from `call` at once; the uid may take a round
  // trip to the bus daemon, so `done` runs at once or later from the loop.
  // Calls of one sender are answered in the order they were made.
  virtual void identify(sd_bus_message* call, Identified done) = 0;
  // `departed` runs for each unique name that left the bus (one listener).
  virtual void on_departure(Departed departed) = 0;
};

// The uid is asked of the bus daemon (org.freedesktop.DBus.
// GetConnectionUnixUser, asynchronously), which learnt it from the kernel
// (SO_PEERCRED) when the connection was made: exactly what polkit looks up
// for a system-bus-name subject. Nothing is read from /proc: a PID can be
// reused by another process, and /proc's real uid is not the uid the bus and
// polkit see. A uid is remembered while its connection is on the bus, since a
// client may send a call and leave at once (NetworkManager's plugin closing
// its session and tunnel): the calls still queued for us come before the
// bus's NameOwnerChanged, so they are served; the name is then forgotten.
class BusCallerIdentifier final : public CallerIdentifier {
 public:
  // `bus` must outlive this; it subscribes to NameOwnerChanged at once.
  explicit BusCallerIdentifier(sdbus::IConnection& bus);
  ~BusCallerIdentifier() override;
  BusCallerIdentifier(const BusCallerIdentifier&) = delete;
  BusCallerIdentifier& operator=(const BusCallerIdentifier&) = delete;

  void identify(sd_bus_message* call, Identified done) override;
  void on_departure(Departed departed) override { departed_ = std::move(departed); }

  // Calls of one sender that may wait for its uid; more are refused with
  // LimitExceeded (the bus answers in a moment, so only a flood gets there).
  static constexpr std::size_t kMaxWaitingPerSender = 64;
  std::size_t remembered() const { return uids_.size(); }

 private:
  struct Waiting {
    Caller caller;  // uid not known yet
    Identified done;
  };
  struct Lookup {
    std::vector<Waiting> waiting;
    bool departed = false;  // NameOwnerChanged came first: do not remember
  };

  void learnt(const std::string& sender, std::expected<uid_t, sdbus::Error> uid);
  void name_owner_changed(const std::string& name, const std::string& old_owner,
                          const std::string& new_owner);

  std::unique_ptr<sdbus::IProxy> driver_;
  std::unordered_map<std::string, uid_t> uids_;
  std::unordered_map<std::string, Lookup> lookups_;
  Departed departed_;
};

// The sd_bus_message behind an sdbus-c++ message. sdbus-c++ 1.2 exposes
// neither the raw message nor the ALLOW_INTERACTIVE_AUTHORIZATION header flag.
sd_bus_message* raw_message(const sdbus::Message& message);
// The sd_bus behind an sdbus-c++ connection (that of a message made on it),
// for what sdbus-c++ 1.2 cannot do: fallback vtables. It lives as long as
// `connection`.
sd_bus* raw_bus(sdbus::IConnection& connection);
bool allows_interactive_authorization(sd_bus_message* call);

}  // namespace l2tp::dbus
