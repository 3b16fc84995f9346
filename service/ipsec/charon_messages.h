// The VICI requests l2tpbusd sends charon and what it reads from the
// answers, as pure functions: settings in, vici::Section out; sections in,
// IpsecStatus or a reason out. Tested from values in tests/unit/ipsec.
//
// Every name charon holds for us starts with kNamePrefix, so that a later
// l2tpbusd can find and unload what an earlier one left.
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/endpoint.h"
#include "core/ipsec.h"
#include "vici/message.h"

namespace l2tp::ipsec {

inline constexpr std::string_view kNamePrefix = "l2tpbus-";
// The CHILD_SA of every connection we load.
inline constexpr std::string_view kChildName = "l2tp";

std::string tunnel_connection_name(std::uint32_t tunnel_id);      // l2tpbus-tunnel-7
std::string listener_connection_name(std::uint32_t listener_id);  // l2tpbus-listener-2
bool is_ours(std::string_view name);

// The address alone ("192.0.2.1", "2001:db8::1").
std::string address_text(const Endpoint& endpoint);

// An initiator's connection for exactly local <-> peer (UDP, their ports),
// transport mode, started by an explicit initiate.
vici::Section initiator_connection(const std::string& name, const Endpoint& local,
                                   const Endpoint& peer, const IpsecSettings& settings);
// A responder's connection: any remote address, L2TP's port on our side.
vici::Section responder_connection(const std::string& name, const Endpoint& local,
                                   const IpsecSettings& settings);

// load-shared: the PSK under `name` (unload-shared takes the same id),
// owned by `owner` (an identity or address; empty: any identity).
vici::Section shared_key(const std::string& name, const SecretBytes& psk, const std::string& owner);
vici::Section private_key(const SecretBytes& key);  // load-key
vici::Section initiate(const std::string& name, std::int32_t timeout_ms);
vici::Section terminate(const std::string& name);  // without waiting
vici::Section by_name(const std::string& name);    // unload-conn
vici::Section by_id(const std::string& id);        // unload-shared, unload-key

// success = yes, or charon's errmsg (cleaned, bounded) as the error.
std::expected<void, std::string> command_result(const vici::Section& response);

// Names listed by get-conns (conns) or get-shared (keys).
std::vector<std::string> listed_names(const vici::Section& response, std::string_view list);

// The negotiated algorithms and NAT-T of connection `name` in a list-sa or
// child-updown event; nullopt when the event is about another connection.
std::optional<IpsecStatus> sa_status(const vici::Section& event, const std::string& name);

// For *-updown events: whether it reports `name` going down.
bool reports_down(const vici::Section& event, const std::string& name);

// Why an initiate failed, from charon's errmsg and the control-log lines it
// streamed: "authentication failed", "no matching proposal", "peer not
// responding" or "IKE failed", followed by charon's most telling line.
std::string failure_reason(const std::string& errmsg, const std::vector<std::string>& log_lines);

// Text from charon made safe for a LastResult or a log line: printable ASCII
// only, at most 200 bytes.
std::string cleaned(std::string_view text);

}  // namespace l2tp::ipsec
