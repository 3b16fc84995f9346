#include "fsm/registry.h"

#include <algorithm>
#include <bit>

namespace l2tp::fsm {

namespace {

constexpr int kRandomTries = 16;
constexpr std::uint32_t kMaxV2Id = TunnelIdSpace::kMaxV2Id;
constexpr std::uint32_t kMaxV3Id = 0xFFFFFFFF;

std::uint32_t random_u32(RandomSource& random) {
  std::uint8_t bytes[4] = {};
  random.fill(bytes);
  return (std::uint32_t{bytes[0]} << 24) | (std::uint32_t{bytes[1]} << 16) |
         (std::uint32_t{bytes[2]} << 8) | bytes[3];
}

// 1..max, uniformly enough for ids (max + 1 may be 2^32).
std::uint32_t random_id(RandomSource& random, std::uint32_t max) {
  const std::uint64_t span = std::uint64_t{max};
  return static_cast<std::uint32_t>(random_u32(random) % span) + 1;
}

std::size_t hash_combine(std::size_t seed, std::size_t value) {
  return seed ^ (value + 0x9e3779b97f4a7c15ull + (seed << 6) + (seed >> 2));
}

}  // namespace

std::optional<std::uint32_t> pick_free_id(RandomSource& random, std::uint32_t max,
                                          std::size_t used_count,
                                          const std::function<bool(std::uint32_t)>& in_use) {
  if (max == 0 || used_count >= max) return std::nullopt;
  for (int attempt = 0; attempt < kRandomTries; ++attempt) {
    const std::uint32_t id = random_id(random, max);
    if (!in_use(id)) return id;
  }
  std::uint32_t id = random_id(random, max);
  for (std::size_t step = 0; step <= used_count; ++step) {
    if (!in_use(id)) return id;
    id = id == max ? 1 : id + 1;
  }
  return std::nullopt;
}

bool TunnelIdSpace::contains(std::uint32_t id) const {
  if (id <= kMaxV2Id) return (low_[id / 64] >> (id % 64)) & 1;
  return high_.contains(id);
}

bool TunnelIdSpace::insert(std::uint32_t id) {
  if (id == 0 || contains(id)) return false;
  if (id > kMaxV2Id) return high_.insert(id).second;
  low_[id / 64] |= std::uint64_t{1} << (id % 64);
  ++low_count_;
  return true;
}

void TunnelIdSpace::erase(std::uint32_t id) {
  if (id > kMaxV2Id) {
    high_.erase(id);
  } else if (id != 0 && contains(id)) {
    low_[id / 64] &= ~(std::uint64_t{1} << (id % 64));
    --low_count_;
  }
}

std::optional<std::uint32_t> TunnelIdSpace::pick(RandomSource& random, std::uint32_t max) const {
  if (max > kMaxV2Id) {
    return pick_free_id(random, max, size(), [this](std::uint32_t id) { return contains(id); });
  }
  if (max == 0 || low_count_ >= max) return std::nullopt;
  for (int attempt = 0; attempt < kRandomTries; ++attempt) {
    const std::uint32_t id = random_id(random, max);
    if (!contains(id)) return id;
  }
  // Crowded: the first free id from a random word on, a word at a time.
  const std::size_t start = random_id(random, max) / 64;
  for (std::size_t step = 0; step <= kWords; ++step) {
    const std::size_t word = (start + step) % kWords;
    std::uint64_t free = ~low_[word];
    if (word == 0) free &= ~std::uint64_t{1};  // id 0 is never an id
    if (free == 0) continue;
    const auto id = static_cast<std::uint32_t>(word * 64 + std::countr_zero(free));
    if (id <= max) return id;
  }
  return std::nullopt;
}

Endpoint address_of(const Endpoint& endpoint) {
  return endpoint.with_port(0);
}

// ---- HalfOpenTracker ----------------------------------------------------------

HalfOpenTracker::HalfOpenTracker(std::size_t max_total, std::size_t max_per_source)
    : max_total_(max_total), max_per_source_(max_per_source) {}

void HalfOpenTracker::append(List& list, Node& node, Links Node::*links) {
  (node.*links).prev = list.newest;
  (node.*links).next = nullptr;
  if (list.newest != nullptr) {
    (list.newest->*links).next = &node;
  } else {
    list.oldest = &node;
  }
  list.newest = &node;
  ++list.count;
}

void HalfOpenTracker::unlink(List& list, Node& node, Links Node::*links) {
  Links& own = node.*links;
  if (own.prev != nullptr) {
    (own.prev->*links).next = own.next;
  } else {
    list.oldest = own.next;
  }
  if (own.next != nullptr) {
    (own.next->*links).prev = own.prev;
  } else {
    list.newest = own.prev;
  }
  own = {};
  --list.count;
}

void HalfOpenTracker::erase(Node& node) {
  unlink(all_, node, &Node::all);
  auto source = by_source_.find(node.source);
  if (source != by_source_.end()) {
    unlink(source->second, node, &Node::by_source);
    if (source->second.count == 0) by_source_.erase(source);
  }
  nodes_.erase(node.tunnel_id);
}

HalfOpenTracker::Admission HalfOpenTracker::admit(std::uint32_t tunnel_id, const Endpoint& source) {
  Admission admission;
  if (max_total_ == 0 || max_per_source_ == 0 || nodes_.contains(tunnel_id)) return admission;
  const Endpoint key = address_of(source);

  auto same_source = by_source_.find(key);
  if (same_source != by_source_.end() && same_source->second.count >= max_per_source_) {
    return admission;
  }
  if (all_.count >= max_total_) {
    Node& oldest = *all_.oldest;
    admission.evicted = oldest.tunnel_id;
    erase(oldest);
  }

  Node& node = nodes_[tunnel_id];
  node.tunnel_id = tunnel_id;
  node.source = key;
  append(all_, node, &Node::all);
  append(by_source_[key], node, &Node::by_source);
  admission.admitted = true;
  return admission;
}

void HalfOpenTracker::remove(std::uint32_t tunnel_id) {
  auto it = nodes_.find(tunnel_id);
  if (it != nodes_.end()) erase(it->second);
}

std::size_t HalfOpenTracker::count_from(const Endpoint& source) const {
  auto it = by_source_.find(address_of(source));
  return it == by_source_.end() ? 0 : it->second.count;
}

std::vector<std::uint32_t> HalfOpenTracker::in_age_order() const {
  std::vector<std::uint32_t> ids;
  for (const Node* node = all_.oldest; node != nullptr; node = node->all.next) {
    ids.push_back(node->tunnel_id);
  }
  return ids;
}

// ---- Registry -------------------------------------------------------------------

Registry::Registry(std::size_t max_half_open, std::size_t max_half_open_per_source)
    : half_open_(max_half_open, max_half_open_per_source) {}

std::optional<std::uint32_t> Registry::allocate_tunnel_id(wire::ProtocolVersion version,
                                                          RandomSource& random) {
  const std::uint32_t max = version == wire::ProtocolVersion::kV2 ? kMaxV2Id : kMaxV3Id;
  // v3 ids that happen to be taken by v2 tunnels (<= 0xFFFF) still count as
  // used, so the pigeonhole walk bound holds for either range.
  auto id = tunnel_ids_.pick(random, max);
  if (id) tunnel_ids_.insert(*id);
  return id;
}

bool Registry::claim_tunnel_id(std::uint32_t id) {
  if (id == 0) return false;
  return tunnel_ids_.insert(id);
}

void Registry::release_tunnel_id(std::uint32_t id) {
  tunnel_ids_.erase(id);
}

std::optional<std::uint32_t> Registry::allocate_v3_session_id(RandomSource& random) {
  auto id = pick_free_id(random, kMaxV3Id, v3_session_ids_.size(), [this](std::uint32_t candidate) {
    return v3_session_ids_.contains(candidate);
  });
  if (id) v3_session_ids_.insert(*id);
  return id;
}

bool Registry::claim_v3_session_id(std::uint32_t id) {
  if (id == 0) return false;
  return v3_session_ids_.insert(id).second;
}

void Registry::release_v3_session_id(std::uint32_t id) {
  v3_session_ids_.erase(id);
}

std::size_t Registry::ListenerKeyHash::operator()(const ListenerKey& key) const noexcept {
  std::size_t hash = EndpointHash{}(key.local);
  hash = hash_combine(hash, static_cast<std::size_t>(key.encapsulation));
  return hash_combine(hash, static_cast<std::size_t>(key.version));
}

std::size_t Registry::ResponderKeyHash::operator()(const ResponderKey& key) const noexcept {
  return hash_combine(EndpointHash{}(key.peer), key.peer_tunnel_id);
}

bool Registry::add_listener(const ListenerKey& key, std::uint32_t listener_id) {
  return listeners_.try_emplace(key, listener_id).second;
}

void Registry::remove_listener(const ListenerKey& key) {
  listeners_.erase(key);
}

std::optional<std::uint32_t> Registry::find_listener(wire::Encapsulation encapsulation,
                                                     wire::ProtocolVersion version,
                                                     const Endpoint& local) const {
  ListenerKey key{encapsulation, version, local};
  if (auto exact = listeners_.find(key); exact != listeners_.end()) return exact->second;
  key.local.address = {};
  if (auto wildcard = listeners_.find(key); wildcard != listeners_.end()) return wildcard->second;
  return std::nullopt;
}

void Registry::add_responder(const Endpoint& peer, std::uint32_t peer_tunnel_id,
                             std::uint32_t tunnel_id) {
  responders_[ResponderKey{peer, peer_tunnel_id}] = tunnel_id;
}

void Registry::remove_responder(const Endpoint& peer, std::uint32_t peer_tunnel_id) {
  responders_.erase(ResponderKey{peer, peer_tunnel_id});
}

std::optional<std::uint32_t> Registry::find_responder(const Endpoint& peer,
                                                      std::uint32_t peer_tunnel_id) const {
  auto it = responders_.find(ResponderKey{peer, peer_tunnel_id});
  if (it == responders_.end()) return std::nullopt;
  return it->second;
}

void Registry::add_connecting(const ListenerKey& peer, Connecting tunnel) {
  ListenerKey key = peer;
  key.local = address_of(peer.local);
  connecting_[key].insert(tunnel);
}

void Registry::remove_connecting(const ListenerKey& peer, Connecting tunnel) {
  ListenerKey key = peer;
  key.local = address_of(peer.local);
  auto it = connecting_.find(key);
  if (it == connecting_.end()) return;
  it->second.erase(tunnel);
  if (it->second.empty()) connecting_.erase(it);
}

std::optional<Registry::Connecting> Registry::lowest_connecting(const ListenerKey& peer) const {
  ListenerKey key = peer;
  key.local = address_of(peer.local);
  auto it = connecting_.find(key);
  if (it == connecting_.end() || it->second.empty()) return std::nullopt;
  return *it->second.begin();
}

std::vector<std::uint32_t> Registry::connecting_to(const ListenerKey& peer) const {
  ListenerKey key = peer;
  key.local = address_of(peer.local);
  std::vector<std::uint32_t> ids;
  auto it = connecting_.find(key);
  if (it == connecting_.end()) return ids;
  for (const Connecting& tunnel : it->second) ids.push_back(tunnel.tunnel_id);
  return ids;
}

}  // namespace l2tp::fsm
