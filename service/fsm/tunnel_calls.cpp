// Calls inside a tunnel: creating sessions on command, routing call messages
// to them (v2 by header Session ID, v3 by Remote Session ID, either by the
// peer's id when ours is not known to it yet), and accepting or refusing the
// peer's ICRQ/OCRQ.
#include <algorithm>

#include "fsm/result_codes.h"
#include "fsm/session.h"
#include "fsm/tunnel.h"

namespace l2tp::fsm {

namespace {

constexpr std::uint32_t kMaxV2SessionId = 0xFFFF;

Error error(ErrorCode code, std::string message) {
  return Error{code, std::move(message)};
}

bool valid_cookie_size(std::size_t size) {
  return size == 0 || size == 4 || size == 8;
}

std::optional<Pseudowire> pseudowire_of(std::uint16_t type) {
  if (type == wire::kPseudowirePpp) return Pseudowire::kPpp;
  if (type == wire::kPseudowireEthernet) return Pseudowire::kEth;
  return std::nullopt;
}

}  // namespace

// ---- Commands -------------------------------------------------------------------

std::expected<void, Error> Tunnel::validate_session(const SessionConfig& config) const {
  const bool v2 = config_.version == wire::ProtocolVersion::kV2;
  const bool configured_ids = config_.mode != TunnelMode::kDynamic;
  if (v2 && config.pseudowire == Pseudowire::kEth) {
    return std::unexpected(
        error(ErrorCode::kNotSupported, "Pseudowire: eth needs an L2TPv3 tunnel"));
  }
  if (v2 && (!config.cookie.empty() || !config.peer_cookie.empty())) {
    return std::unexpected(
        error(ErrorCode::kInvalidArgument, "Cookie: L2TPv2 sessions have no cookies"));
  }
  if (!valid_cookie_size(config.cookie.size())) {
    return std::unexpected(error(ErrorCode::kInvalidArgument, "Cookie: must be 0, 4 or 8 bytes"));
  }
  if (!valid_cookie_size(config.peer_cookie.size())) {
    return std::unexpected(
        error(ErrorCode::kInvalidArgument, "PeerCookie: must be 0, 4 or 8 bytes"));
  }
  if (v2 && config.l2_specific_sublayer == L2SpecificSublayer::kDefault) {
    return std::unexpected(error(ErrorCode::kInvalidArgument,
                                 "L2SpecificSublayer: L2TPv2 has no L2-Specific Sublayer"));
  }
  if (!v2 && config.sequencing != Sequencing::kNone) {
    const L2SpecificSublayer sublayer = config.l2_specific_sublayer.value_or(
        config.pseudowire == Pseudowire::kEth ? L2SpecificSublayer::kDefault
                                              : L2SpecificSublayer::kNone);
    if (sublayer == L2SpecificSublayer::kNone) {
      // RFC 3931 §5.4.4: sequence numbers live in the L2-Specific Sublayer.
      return std::unexpected(error(ErrorCode::kInvalidArgument,
                                   "Sequencing: needs L2SpecificSublayer \"default\" on L2TPv3"));
    }
  }
  if (configured_ids) {
    if (config.session_id == 0) {
      return std::unexpected(error(ErrorCode::kInvalidArgument,
                                   "SessionId: required in static and quiescent tunnels"));
    }
    if (config.peer_session_id == 0) {
      return std::unexpected(error(ErrorCode::kInvalidArgument,
                                   "PeerSessionId: required in static and quiescent tunnels"));
    }
  } else if (config.peer_session_id != 0) {
    return std::unexpected(error(ErrorCode::kInvalidArgument,
                                 "PeerSessionId: learned from the peer in dynamic tunnels"));
  }
  if (v2 && (config.session_id > kMaxV2SessionId || config.peer_session_id > kMaxV2SessionId)) {
    return std::unexpected(
        error(ErrorCode::kInvalidArgument, config.session_id > kMaxV2SessionId
                                               ? "SessionId: L2TPv2 session ids are 1..65535"
                                               : "PeerSessionId: L2TPv2 session ids are 1..65535"));
  }
  return {};
}

std::expected<std::uint32_t, Error> Tunnel::allocate_session_id(const SessionConfig& config) {
  if (config_.version == wire::ProtocolVersion::kV3) {
    Registry& registry = host_.registry();
    if (config.session_id != 0) {
      if (!registry.claim_v3_session_id(config.session_id)) {
        return std::unexpected(error(
            ErrorCode::kExists, "SessionId: " + std::to_string(config.session_id) + " is in use"));
      }
      return config.session_id;
    }
    auto id = registry.allocate_v3_session_id(host_.env().random);
    if (!id) return std::unexpected(error(ErrorCode::kLimitExceeded, "no free session id"));
    return *id;
  }
  if (config.session_id != 0) {
    if (sessions_.contains(config.session_id)) {
      return std::unexpected(
          error(ErrorCode::kExists,
                "SessionId: " + std::to_string(config.session_id) + " is in use in this tunnel"));
    }
    return config.session_id;
  }
  auto id = pick_free_id(host_.env().random, kMaxV2SessionId, sessions_.size(),
                         [this](std::uint32_t candidate) { return sessions_.contains(candidate); });
  if (!id) return std::unexpected(error(ErrorCode::kLimitExceeded, "no free session id"));
  return *id;
}

void Tunnel::release_session_id(std::uint32_t session_id) {
  if (config_.version == wire::ProtocolVersion::kV3) {
    host_.registry().release_v3_session_id(session_id);
  }
}

std::expected<std::uint32_t, Error> Tunnel::create_session(const SessionConfig& config) {
  if (phase_ == TunnelPhase::kClosing || phase_ == TunnelPhase::kClosed) {
    return std::unexpected(error(ErrorCode::kWrongState, "tunnel " + std::to_string(id_) + " is " +
                                                             fsm::to_string(public_state(phase_))));
  }
  if (auto valid = validate_session(config); !valid) return std::unexpected(valid.error());
  if (sessions_.size() >= host_.limits().max_sessions_per_tunnel) {
    return std::unexpected(error(ErrorCode::kLimitExceeded, "tunnel " + std::to_string(id_) +
                                                                " has " +
                                                                std::to_string(sessions_.size()) +
                                                                " sessions, the most allowed"));
  }
  if (host_.session_count() >= host_.limits().max_sessions) {
    return std::unexpected(
        error(ErrorCode::kLimitExceeded, "the daemon's limit of " +
                                             std::to_string(host_.limits().max_sessions) +
                                             " sessions (MaxSessions) is reached"));
  }
  auto id = allocate_session_id(config);
  if (!id) return std::unexpected(id.error());

  auto session = std::make_unique<Session>(*this, *id, config, /*initiated_locally=*/true);
  Session& created = *session;
  sessions_.emplace(*id, std::move(session));
  host_.session_created(*this);
  created.report(&EngineObserver::session_added);
  created.start();
  return *id;
}

std::expected<void, Error> Tunnel::close_session(std::uint32_t session_id) {
  Session* session = find_session(session_id);
  if (session == nullptr || session->phase() == SessionPhase::kClosed) {
    return std::unexpected(error(ErrorCode::kNotFound, "no session " + std::to_string(session_id) +
                                                           " in tunnel " + std::to_string(id_)));
  }
  session->close({3, 0, "closed by request"});
  return {};
}

void Tunnel::discard_session(Session& session) {
  const std::uint32_t session_id = session.id();
  auto by_peer = sessions_by_peer_id_.find(session.peer_id());
  if (by_peer != sessions_by_peer_id_.end() && by_peer->second == &session) {
    sessions_by_peer_id_.erase(by_peer);
  }
  auto it = sessions_.find(session_id);
  if (it == sessions_.end() || it->second.get() != &session) return;
  std::unique_ptr<Session> owned = std::move(it->second);
  sessions_.erase(it);
  host_.session_discarded(*this);
  release_session_id(session_id);
  // The caller may still be inside the session: destroy it later.
  host_.dispose(std::move(owned));
}

void Tunnel::index_peer_session(Session& session) {
  if (session.peer_id() != 0) sessions_by_peer_id_[session.peer_id()] = &session;
}

// ---- Call messages ----------------------------------------------------------------

Session* Tunnel::route_call(std::uint16_t header_session_id, const wire::Message& message) {
  std::uint32_t ours = 0;
  std::optional<std::uint32_t> theirs;
  if (config_.version == wire::ProtocolVersion::kV2) {
    ours = header_session_id;
    if (message.assigned_session_id) theirs = *message.assigned_session_id;
  } else {
    ours = message.remote_session_id.value_or(0);
    theirs = message.local_session_id;
  }
  if (ours != 0) return find_session(ours);
  // RFC 3931 §5.4.4: a message sent before our id reached the peer names the
  // call by the peer's own id (a CDN right after an ICRQ, say).
  if (theirs && *theirs != 0) {
    auto it = sessions_by_peer_id_.find(*theirs);
    if (it != sessions_by_peer_id_.end()) return it->second;
  }
  return nullptr;
}

void Tunnel::dispatch_call(std::uint16_t header_session_id, const wire::Message& message) {
  if (phase_ != TunnelPhase::kEstablished || config_.mode != TunnelMode::kDynamic) {
    log(LogLevel::kInfo, std::string("ignored ") + wire::to_string(message.type) +
                             " outside an established dynamic tunnel");
    return;
  }
  const bool request =
      message.type == wire::MessageType::kIcrq || message.type == wire::MessageType::kOcrq;
  std::optional<LastResult> refusal;
  if (message.unknown_mandatory_attribute) {
    refusal =
        LastResult{kCdnGeneralError, kErrorUnknownMandatoryAvp,
                   "unknown mandatory AVP " + std::to_string(*message.unknown_mandatory_attribute) +
                       " in " + wire::to_string(message.type)};
  } else if (!wire::has_required_avps(message, config_.version)) {
    ++host_.stats().wire_errors[static_cast<int>(wire::WireError::kMissingMandatoryAvp)];
    refusal = LastResult{kCdnGeneralError, kErrorVendorSpecific,
                         std::string("required AVP missing in ") + wire::to_string(message.type)};
  }

  if (request) {
    if (refusal) {
      reject_call(message, *refusal, RefusalKind::kBadCall);
    } else {
      accept_call(message);
    }
    return;
  }
  Session* session = route_call(header_session_id, message);
  if (session == nullptr) {
    log(LogLevel::kInfo,
        std::string("ignored ") + wire::to_string(message.type) + " for an unknown session");
    return;
  }
  if (refusal && message.type != wire::MessageType::kCdn) {
    session->close(*refusal);
    return;
  }
  session->handle(message);
}

void Tunnel::reject_call(const wire::Message& request, const LastResult& result, RefusalKind kind) {
  host_.call_refused(
      *this, kind, std::string("refused ") + wire::to_string(request.type) + ": " + result.message);
  wire::Message cdn;
  cdn.type = wire::MessageType::kCdn;
  wire::ResultCode code;
  code.result = result.result;
  code.error = result.error;
  code.message = result.message;
  cdn.result_code = code;
  std::uint16_t header_session_id = 0;
  if (config_.version == wire::ProtocolVersion::kV2) {
    if (!request.assigned_session_id) return;  // nobody to address
    header_session_id = *request.assigned_session_id;
    cdn.assigned_session_id = 0;
  } else {
    if (!request.local_session_id) return;
    cdn.local_session_id = 0;
    cdn.remote_session_id = *request.local_session_id;
  }
  send_call_message(header_session_id, cdn);
}

void Tunnel::accept_call(const wire::Message& request) {
  const bool v2 = config_.version == wire::ProtocolVersion::kV2;
  const std::uint32_t peer_session =
      v2 ? request.assigned_session_id.value_or(0) : request.local_session_id.value_or(0);
  if (peer_session == 0) {
    log(LogLevel::kNotice,
        std::string("ignored ") + wire::to_string(request.type) + " assigning session id 0");
    return;
  }
  if (sessions_by_peer_id_.contains(peer_session)) {
    // A second request for a call we already hold: the peer lost track of it.
    reject_call(request, {kCdnGeneralError, 5, "session id already in use"}, RefusalKind::kBadCall);
    return;
  }
  Pseudowire pseudowire = Pseudowire::kPpp;
  if (!v2) {
    auto offered = pseudowire_of(request.pseudowire_type.value_or(0));
    if (!offered) {
      reject_call(request,
                  {kCdnUnsupportedPseudowire, 0,
                   "pseudowire type " + std::to_string(request.pseudowire_type.value_or(0)) +
                       " is not supported"},
                  RefusalKind::kBadCall);
      return;
    }
    pseudowire = *offered;
  }
  const auto& allowed = accept_policy_->pseudowires;
  if (std::find(allowed.begin(), allowed.end(), pseudowire) == allowed.end()) {
    reject_call(
        request,
        {static_cast<std::uint16_t>(v2 ? kCdnNoFacilitiesPermanent : kCdnUnsupportedPseudowire), 0,
         std::string("pseudowire ") + fsm::to_string(pseudowire) + " is not accepted here"},
        RefusalKind::kBadCall);
    return;
  }
  if (!v2 && request.data_sequencing.value_or(0) != 0 &&
      request.l2_specific_sublayer.value_or(0) == 0) {
    reject_call(
        request,
        {kCdnSequencingWithoutSublayer, 0, "sequencing requested without an L2-Specific Sublayer"},
        RefusalKind::kBadCall);
    return;
  }

  // Last, so that the call rate counts only calls that would be accepted.
  if (auto refusal = host_.refuse_call(*this)) {
    // RFC 2661 §4.4.2 / RFC 3931 §5.4.2 CDN result 4: "lack of appropriate
    // facilities (temporary condition)"; the peer may call again later.
    reject_call(request,
                {kCdnNoFacilitiesTemporary, 0, "temporarily out of resources: " + refusal->reason},
                refusal->kind);
    return;
  }
  SessionConfig config;
  config.pseudowire = pseudowire;
  config.call_type =
      request.type == wire::MessageType::kIcrq ? CallType::kIncoming : CallType::kOutgoing;
  if (request.called_number) config.called_number = *request.called_number;
  if (request.calling_number) config.calling_number = *request.calling_number;
  auto id = allocate_session_id(config);
  if (!id) {
    reject_call(request, {kCdnNoFacilitiesTemporary, 0, "no free session id"},
                RefusalKind::kNoSessionId);
    return;
  }
  auto session = std::make_unique<Session>(*this, *id, config, /*initiated_locally=*/false);
  Session& accepted = *session;
  sessions_.emplace(*id, std::move(session));
  host_.session_created(*this);
  accepted.report(&EngineObserver::session_added);
  accepted.accept(request);
}

}  // namespace l2tp::fsm
