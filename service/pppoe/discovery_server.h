// The access concentrator's side of PPPoE discovery on one interface, sans
// I/O: frames in (with the sender's MAC address and the time), frames out
// and session events through a visitor, called at defined points and never
// re-entered. RFC 2516 section 5, with the concentrator's own rules:
// - a PADI is answered (PADO with AC-Name, the service, Host-Uniq and
//   Relay-Session-Id echoed, and an AC-Cookie) only for a service it serves,
//   from a unicast address, while it has room for one more session;
// - a PADR makes a session only with a cookie made for that host (so a flood
//   of forged PADRs holds no memory), within the per-host and per-interface
//   limits; a PADR repeated for a session it already made gets the same
//   PADS again;
// - a PADT ends a session only when it comes from that session's host.
// Everything dropped is counted by reason.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/timing.h"
#include "pppoe/ac_cookie.h"
#include "pppoe/discovery.h"

namespace l2tp::pppoe {

struct DiscoveryLimits {
  std::size_t max_sessions = 1000;        // on this interface
  std::size_t max_sessions_per_host = 4;  // per MAC address
};

struct DiscoveryConfig {
  std::string ac_name;
  // The services offered; empty: any service a host asks for, and "any
  // service" (an empty Service-Name) too.
  std::vector<std::string> service_names;
  DiscoveryLimits limits;
};

// A session the concentrator confirmed with a PADS.
struct PppoeSession {
  std::uint16_t session_id = 0;
  MacAddress host{};
  std::string service_name;
  Bytes host_uniq;
  Bytes relay_session_id;

  bool operator==(const PppoeSession&) const = default;
};

enum class SessionEnd : std::uint8_t {
  kHostTerminated,  // the host's PADT
  kTerminated,      // terminate(): our side, with a PADT to the host
};

class DiscoveryVisitor {
 public:
  virtual ~DiscoveryVisitor() = default;
  // A discovery frame's payload for `destination` (unicast; the socket adds
  // the Ethernet header).
  virtual void send(const MacAddress& destination, Bytes payload) = 0;
  virtual void session_started(const PppoeSession& session) = 0;
  virtual void session_ended(const PppoeSession& session, SessionEnd why) = 0;
};

// Why a received frame changed nothing.
enum class DiscoveryDrop : std::uint8_t {
  kMalformed,           // decode_discovery refused it
  kNotUnicastSender,    // a broadcast or multicast source address
  kNotForConcentrator,  // a PADO or PADS: what hosts receive, not concentrators
  kUnknownService,      // a service this concentrator does not offer
  kBadCookie,           // a PADR without a cookie of ours for that host, or too late
  kHostLimit,           // the host has max_sessions_per_host sessions
  kInterfaceLimit,      // the interface has max_sessions sessions
  kUnknownSession,      // a PADT for no session of that host
  kCount,
};

std::string_view to_string(DiscoveryDrop drop);

class DiscoveryServer {
 public:
  DiscoveryServer(DiscoveryConfig config, CookieJar cookies, DiscoveryVisitor& visitor);

  void receive(const MacAddress& source, ByteView frame, TimePoint now);
  // Ends a session from our side (its L2TP call failed or closed): a PADT to
  // the host, then session_ended(kTerminated). `reason` goes in a
  // Generic-Error tag (at most 64 bytes of it). Unknown ids are ignored.
  void terminate(std::uint16_t session_id, std::string_view reason);

  const std::map<std::uint16_t, PppoeSession>& sessions() const { return sessions_; }
  std::uint64_t dropped(DiscoveryDrop why) const { return drops_[static_cast<std::size_t>(why)]; }
  std::uint64_t malformed(DiscoveryError why) const;

 private:
  void on_padi(const MacAddress& source, const DiscoveryPacket& padi, TimePoint now);
  void on_padr(const MacAddress& source, const DiscoveryPacket& padr, TimePoint now);
  void on_padt(const MacAddress& source, const DiscoveryPacket& padt);
  // The service to offer for a requested Service-Name, or nullopt.
  std::optional<std::string> service_for(const Tag& requested) const;
  void reply(const MacAddress& destination, const DiscoveryPacket& request, Code code,
             std::uint16_t session_id, std::string_view service, const Bytes* cookie);
  std::size_t sessions_of(const MacAddress& host) const;
  const PppoeSession* existing(const MacAddress& host, const Bytes& host_uniq) const;
  std::uint16_t free_session_id();
  void drop(DiscoveryDrop why) { ++drops_[static_cast<std::size_t>(why)]; }

  DiscoveryConfig config_;
  CookieJar cookies_;
  DiscoveryVisitor& visitor_;
  std::map<std::uint16_t, PppoeSession> sessions_;
  std::uint16_t next_session_id_ = 1;
  std::uint64_t drops_[static_cast<std::size_t>(DiscoveryDrop::kCount)] = {};
  std::map<DiscoveryError, std::uint64_t> malformed_;
};

}  // namespace l2tp::pppoe
