#include "pppoe/discovery_server.h"

#include <algorithm>

namespace l2tp::pppoe {

namespace {

// RFC 2516 section 4: 0xffff is reserved; 0 is "no session".
constexpr std::uint16_t kLastSessionId = 0xfffe;
constexpr std::size_t kMaxReasonBytes = 64;

Bytes value_of(const DiscoveryPacket& packet, TagType type) {
  const Tag* tag = packet.find(type);
  return tag != nullptr ? tag->value : Bytes{};
}

}  // namespace

std::string_view to_string(DiscoveryDrop drop) {
  switch (drop) {
    case DiscoveryDrop::kMalformed:
      return "malformed";
    case DiscoveryDrop::kNotUnicastSender:
      return "not a unicast sender";
    case DiscoveryDrop::kNotForConcentrator:
      return "not for a concentrator";
    case DiscoveryDrop::kUnknownService:
      return "unknown service";
    case DiscoveryDrop::kBadCookie:
      return "bad cookie";
    case DiscoveryDrop::kHostLimit:
      return "host limit";
    case DiscoveryDrop::kInterfaceLimit:
      return "interface limit";
    case DiscoveryDrop::kUnknownSession:
      return "unknown session";
    case DiscoveryDrop::kCount:
      break;
  }
  return "unknown";
}

DiscoveryServer::DiscoveryServer(DiscoveryConfig config, CookieJar cookies,
                                 DiscoveryVisitor& visitor)
    : config_(std::move(config)), cookies_(std::move(cookies)), visitor_(visitor) {
  // Every session needs an id of its own (free_session_id relies on one).
  config_.limits.max_sessions = std::min<std::size_t>(config_.limits.max_sessions, kLastSessionId);
}

std::uint64_t DiscoveryServer::malformed(DiscoveryError why) const {
  const auto it = malformed_.find(why);
  return it == malformed_.end() ? 0 : it->second;
}

void DiscoveryServer::receive(const MacAddress& source, ByteView frame, TimePoint now) {
  const auto packet = decode_discovery(frame);
  if (!packet) {
    ++malformed_[packet.error()];
    drop(DiscoveryDrop::kMalformed);
    return;
  }
  if (!is_unicast(source)) {
    drop(DiscoveryDrop::kNotUnicastSender);
    return;
  }
  switch (packet->code) {
    case Code::kPadi:
      on_padi(source, *packet, now);
      return;
    case Code::kPadr:
      on_padr(source, *packet, now);
      return;
    case Code::kPadt:
      on_padt(source, *packet);
      return;
    case Code::kPado:
    case Code::kPads:
      drop(DiscoveryDrop::kNotForConcentrator);
      return;
  }
}

std::optional<std::string> DiscoveryServer::service_for(const Tag& requested) const {
  const std::string name = wire::to_string(requested.value);
  if (config_.service_names.empty()) return name;
  // "Any service": the first one offered.
  if (name.empty()) return config_.service_names.front();
  if (std::ranges::find(config_.service_names, name) != config_.service_names.end()) return name;
  return std::nullopt;
}

void DiscoveryServer::reply(const MacAddress& destination, const DiscoveryPacket& request,
                            Code code, std::uint16_t session_id, std::string_view service,
                            const Bytes* cookie) {
  DiscoveryPacket answer{code, session_id, {}};
  answer.add(TagType::kServiceName, service);
  if (code == Code::kPado) answer.add(TagType::kAcName, config_.ac_name);
  // Echoed as the RFC asks: the host matches answers by Host-Uniq, a relay
  // its sessions by Relay-Session-Id. Both were bounded by the decode.
  for (TagType echoed : {TagType::kHostUniq, TagType::kRelaySessionId}) {
    if (const Tag* tag = request.find(echoed)) answer.add(echoed, tag->value);
  }
  if (cookie != nullptr) answer.add(TagType::kAcCookie, *cookie);
  visitor_.send(destination, encode_discovery(answer));
}

std::size_t DiscoveryServer::sessions_of(const MacAddress& host) const {
  return static_cast<std::size_t>(std::ranges::count_if(
      sessions_, [&host](const auto& entry) { return entry.second.host == host; }));
}

const PppoeSession* DiscoveryServer::existing(const MacAddress& host,
                                              const Bytes& host_uniq) const {
  for (const auto& [id, session] : sessions_) {
    if (session.host == host && session.host_uniq == host_uniq) return &session;
  }
  return nullptr;
}

void DiscoveryServer::on_padi(const MacAddress& source, const DiscoveryPacket& padi,
                              TimePoint now) {
  const auto service = service_for(*padi.find(TagType::kServiceName));
  if (!service) {
    drop(DiscoveryDrop::kUnknownService);
    return;
  }
  // A full concentrator stays silent, so that the host picks another one.
  if (sessions_.size() >= config_.limits.max_sessions) {
    drop(DiscoveryDrop::kInterfaceLimit);
    return;
  }
  const Bytes cookie = cookies_.issue(source, value_of(padi, TagType::kHostUniq), now);
  reply(source, padi, Code::kPado, 0, *service, &cookie);
}

void DiscoveryServer::on_padr(const MacAddress& source, const DiscoveryPacket& padr,
                              TimePoint now) {
  const Bytes host_uniq = value_of(padr, TagType::kHostUniq);
  const Tag* cookie = padr.find(TagType::kAcCookie);
  if (cookie == nullptr || !cookies_.valid(cookie->value, source, host_uniq, now)) {
    drop(DiscoveryDrop::kBadCookie);
    return;
  }
  const auto service = service_for(*padr.find(TagType::kServiceName));
  if (!service) {
    drop(DiscoveryDrop::kUnknownService);
    return;
  }
  // The host missed our PADS and asks again: the same session, not a second.
  if (const PppoeSession* session = existing(source, host_uniq)) {
    reply(source, padr, Code::kPads, session->session_id, session->service_name, nullptr);
    return;
  }
  if (sessions_of(source) >= config_.limits.max_sessions_per_host) {
    drop(DiscoveryDrop::kHostLimit);
    return;
  }
  if (sessions_.size() >= config_.limits.max_sessions) {
    drop(DiscoveryDrop::kInterfaceLimit);
    return;
  }
  PppoeSession session{free_session_id(), source, *service, host_uniq,
                       value_of(padr, TagType::kRelaySessionId)};
  const auto [it, inserted] = sessions_.emplace(session.session_id, std::move(session));
  reply(source, padr, Code::kPads, it->second.session_id, it->second.service_name, nullptr);
  visitor_.session_started(it->second);
}

void DiscoveryServer::on_padt(const MacAddress& source, const DiscoveryPacket& padt) {
  const auto it = sessions_.find(padt.session_id);
  // Anyone can send a PADT with any id: only the session's own host ends it.
  if (it == sessions_.end() || it->second.host != source) {
    drop(DiscoveryDrop::kUnknownSession);
    return;
  }
  const PppoeSession ended = std::move(it->second);
  sessions_.erase(it);
  visitor_.session_ended(ended, SessionEnd::kHostTerminated);
}

void DiscoveryServer::terminate(std::uint16_t session_id, std::string_view reason) {
  const auto it = sessions_.find(session_id);
  if (it == sessions_.end()) return;
  const PppoeSession ended = std::move(it->second);
  sessions_.erase(it);
  DiscoveryPacket padt{Code::kPadt, session_id, {}};
  padt.add(TagType::kGenericError, reason.substr(0, kMaxReasonBytes));
  visitor_.send(ended.host, encode_discovery(padt));
  visitor_.session_ended(ended, SessionEnd::kTerminated);
}

// The next id not in use, in turn: an id just freed is not handed out again
// at once, so a late frame of the old session cannot reach the new one.
std::uint16_t DiscoveryServer::free_session_id() {
  for (;;) {
    const std::uint16_t id = next_session_id_;
    next_session_id_ = id == kLastSessionId ? 1 : static_cast<std::uint16_t>(id + 1);
    if (!sessions_.contains(id)) return id;
  }
}

}  // namespace l2tp::pppoe
