// Bookkeeping of the engine by id and address, free of any protocol logic so
// it can be tested on its own: the tunnel id space (one for v2 and v3), the
// engine-wide v3 session ids, listeners, responder tunnels awaiting SCCCN by
// the peer's own id, initiator tunnels awaiting SCCRP by peer address (for the
// tie breaker) and the bound on half-open tunnels. Every lookup is a hash
// lookup; nothing here walks all tunnels.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <span>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/endpoint.h"
#include "fsm/ports.h"
#include "wire/header.h"

namespace l2tp::fsm {

// A random non-zero id in 1..max that `in_use` rejects not. Random draws
// first; should they keep colliding, a walk from a random start finds a free
// one within used_count + 1 steps (pigeonhole). nullopt when all are taken.
std::optional<std::uint32_t> pick_free_id(RandomSource& random, std::uint32_t max,
                                          std::size_t used_count,
                                          const std::function<bool(std::uint32_t)>& in_use);

// Tunnel ids in use, v2 and v3 alike (one space, so that an id alone names
// a tunnel). Ids up to 0xFFFF, every v2 one, are kept in a bitmap: with
// nearly all 65,535 taken, a free one is found 64 ids at a time instead of
// by probing ids one by one.
class TunnelIdSpace {
 public:
  static constexpr std::uint32_t kMaxV2Id = 0xFFFF;
  bool contains(std::uint32_t id) const;
  bool insert(std::uint32_t id);  // false when taken, or 0
  void erase(std::uint32_t id);
  std::size_t size() const { return low_count_ + high_.size(); }
  // A free id in 1..max, not yet taken; nullopt when all are.
  std::optional<std::uint32_t> pick(RandomSource& random, std::uint32_t max) const;

 private:
  static constexpr std::size_t kWords = (kMaxV2Id + 1) / 64;
  std::array<std::uint64_t, kWords> low_{};  // bit (id % 64) of word (id / 64)
  std::size_t low_count_ = 0;
  std::unordered_set<std::uint32_t> high_;
};

// The address part of an endpoint (port cleared): the key for per-source
// limits and for the tie breaker, which look at the peer host, not its port.
Endpoint address_of(const Endpoint& endpoint);

// Responder tunnels that answered an SCCRQ and wait for the SCCCN, oldest
// first, globally and per source address, with O(1) insertion, removal and
// eviction (intrusive doubly linked lists over nodes that never move).
class HalfOpenTracker {
 public:
  HalfOpenTracker(std::size_t max_total, std::size_t max_per_source);
  HalfOpenTracker(const HalfOpenTracker&) = delete;
  HalfOpenTracker& operator=(const HalfOpenTracker&) = delete;

  struct Admission {
    bool admitted = false;
    std::optional<std::uint32_t> evicted;  // already forgotten here; the caller drops it
  };
  // Refuses `tunnel_id` when `source` is at its own bound: a LAC opening many
  // tunnels at once must hear why, not lose its earlier handshakes. At the
  // total bound the oldest overall makes room (evicted), so that spoofed
  // SCCRQs from many addresses cannot keep every real peer out.
  Admission admit(std::uint32_t tunnel_id, const Endpoint& source);
  void remove(std::uint32_t tunnel_id);  // no-op when not tracked
  bool contains(std::uint32_t tunnel_id) const { return nodes_.contains(tunnel_id); }
  std::size_t size() const { return all_.count; }
  std::size_t count_from(const Endpoint& source) const;
  // Oldest first; for tests and diagnostics (O(n)).
  std::vector<std::uint32_t> in_age_order() const;

 private:
  struct Node;
  struct Links {
    Node* prev = nullptr;
    Node* next = nullptr;
  };
  struct Node {
    std::uint32_t tunnel_id = 0;
    Endpoint source;
    Links all;
    Links by_source;
  };
  struct List {
    Node* oldest = nullptr;
    Node* newest = nullptr;
    std::size_t count = 0;
  };
  static void append(List& list, Node& node, Links Node::*links);
  static void unlink(List& list, Node& node, Links Node::*links);
  void erase(Node& node);

  std::size_t max_total_;
  std::size_t max_per_source_;
  std::unordered_map<std::uint32_t, Node> nodes_;  // node-based: addresses are stable
  std::unordered_map<Endpoint, List, EndpointHash> by_source_;
  List all_;
};

// An address as the engine routes by: transport, protocol version and
// endpoint (listeners by local endpoint, the tie breaker by peer address).
struct ListenerKey {
  wire::Encapsulation encapsulation = wire::Encapsulation::kUdp;
  wire::ProtocolVersion version = wire::ProtocolVersion::kV2;
  Endpoint local;
  bool operator==(const ListenerKey&) const = default;
};

class Registry {
 public:
  Registry(std::size_t max_half_open, std::size_t max_half_open_per_source);

  // Tunnel ids: v2 ids are 16 bits, v3 32 bits, all non-zero, and one space
  // for both so a tunnel id alone names a tunnel.
  std::optional<std::uint32_t> allocate_tunnel_id(wire::ProtocolVersion version,
                                                  RandomSource& random);
  bool claim_tunnel_id(std::uint32_t id);  // false when taken
  void release_tunnel_id(std::uint32_t id);
  bool tunnel_id_in_use(std::uint32_t id) const { return tunnel_ids_.contains(id); }
  std::size_t tunnel_ids_in_use() const { return tunnel_ids_.size(); }

  // L2TPv3 session ids are unique engine-wide (the kernel demultiplexes v3
  // data by session id alone). v2 session ids live in their tunnel.
  std::optional<std::uint32_t> allocate_v3_session_id(RandomSource& random);
  bool claim_v3_session_id(std::uint32_t id);
  void release_v3_session_id(std::uint32_t id);
  bool v3_session_id_in_use(std::uint32_t id) const { return v3_session_ids_.contains(id); }

  // Listeners by exact local address, then by the wildcard address of the
  // same family and port.
  bool add_listener(const ListenerKey& key, std::uint32_t listener_id);  // false when taken
  void remove_listener(const ListenerKey& key);
  std::optional<std::uint32_t> find_listener(wire::Encapsulation encapsulation,
                                             wire::ProtocolVersion version,
                                             const Endpoint& local) const;

  // Responder tunnels by (peer endpoint, the peer's tunnel id), so that a
  // retransmitted SCCRQ reaches the tunnel it created instead of a new one.
  void add_responder(const Endpoint& peer, std::uint32_t peer_tunnel_id, std::uint32_t tunnel_id);
  void remove_responder(const Endpoint& peer, std::uint32_t peer_tunnel_id);
  std::optional<std::uint32_t> find_responder(const Endpoint& peer,
                                              std::uint32_t peer_tunnel_id) const;

  // Initiator tunnels that sent an SCCRQ with a Tie Breaker and wait for the
  // SCCRP, by peer address (any port), version and encapsulation, ordered by
  // tie breaker: an SCCRQ from that host is judged against the lowest.
  struct Connecting {
    std::uint64_t tie_breaker = 0;
    std::uint32_t tunnel_id = 0;
    auto operator<=>(const Connecting&) const = default;
  };
  void add_connecting(const ListenerKey& peer, Connecting tunnel);
  void remove_connecting(const ListenerKey& peer, Connecting tunnel);
  std::optional<Connecting> lowest_connecting(const ListenerKey& peer) const;
  std::vector<std::uint32_t> connecting_to(const ListenerKey& peer) const;  // O(k)

  HalfOpenTracker& half_open() { return half_open_; }
  const HalfOpenTracker& half_open() const { return half_open_; }

 private:
  struct ListenerKeyHash {
    std::size_t operator()(const ListenerKey& key) const noexcept;
  };
  struct ResponderKey {
    Endpoint peer;
    std::uint32_t peer_tunnel_id = 0;
    bool operator==(const ResponderKey&) const = default;
  };
  struct ResponderKeyHash {
    std::size_t operator()(const ResponderKey& key) const noexcept;
  };

  TunnelIdSpace tunnel_ids_;
  std::unordered_set<std::uint32_t> v3_session_ids_;
  std::unordered_map<ListenerKey, std::uint32_t, ListenerKeyHash> listeners_;
  std::unordered_map<ResponderKey, std::uint32_t, ResponderKeyHash> responders_;
  std::unordered_map<ListenerKey, std::set<Connecting>, ListenerKeyHash> connecting_;
  HalfOpenTracker half_open_;
};

}  // namespace l2tp::fsm
