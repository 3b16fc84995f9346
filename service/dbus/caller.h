// Who is calling: the unique bus name (polkit's subject), the uid from the
// bus's credentials, and whether the call allows interactive authorization.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <deque>
#include <expected>
#include <string>
#include <unordered_map>

struct sd_bus_message;

namespace sdbus {
class Message;
}

namespace l2tp::dbus {

struct Caller {
  std::string sender;
  uid_t uid = 0;
  bool allow_interaction = false;
};

// A seam: the daemon reads real credentials; tests pose as other uids.
class CallerIdentifier {
 public:
  virtual ~CallerIdentifier() = default;
  // Only valid while `call` is being dispatched. Errors are for a person.
  virtual std::expected<Caller, std::string> identify(const sdbus::Message& call) = 0;
};

// The uid comes from the bus daemon (sd_bus_query_sender_creds, which asks
// org.freedesktop.DBus.GetConnectionCredentials), never from the message.
// The bus daemon forgets a connection once it is gone, so a client that sends
// Session.Close and Tunnel.Close and disconnects at once would see its second
// call refused. Unique names are never reused on a bus and a connection's uid
// never changes, so the uids of the most recent callers are remembered.
class CredentialsIdentifier final : public CallerIdentifier {
 public:
  std::expected<Caller, std::string> identify(const sdbus::Message& call) override;

 private:
  static constexpr std::size_t kRemembered = 4096;
  std::unordered_map<std::string, uid_t> uids_;
  std::deque<std::string> order_;  // oldest first
};

// The sd_bus_message behind an sdbus-c++ message. sdbus-c++ 1.2 exposes
// neither the raw message nor the ALLOW_INTERACTIVE_AUTHORIZATION header flag.
sd_bus_message* raw_message(const sdbus::Message& message);
bool allows_interactive_authorization(const sdbus::Message& call);

}  // namespace l2tp::dbus
