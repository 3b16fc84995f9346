#include "ipsec/charon_messages.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>

namespace l2tp::ipsec {

namespace {

constexpr std::size_t kMaxShownText = 200;
constexpr std::uint16_t kL2tpPort = 1701;

std::string text_of(const vici::Blob& blob) {
  return std::string(blob.begin(), blob.end());
}

std::string seconds(std::uint32_t value) {
  return std::to_string(value) + "s";
}

const char* version_text(IkeVersion version) {
  switch (version) {
    case IkeVersion::kV1:
      return "1";
    case IkeVersion::kV2:
      return "2";
    case IkeVersion::kEither:
      return "0";
  }
  return "0";
}

// What both roles share: IKE version, proposals, lifetimes, authentication
// rounds and the transport-mode CHILD_SA with its selectors.
vici::Section connection(const std::string& name, const Endpoint& local,
                         const IpsecSettings& settings, const std::string& local_ts,
                         const std::string& remote_ts, const std::string* remote_address,
                         const std::string& remote_id) {
  vici::Section request;
  vici::Section& conn = request.add_section(name);
  conn.add("version", version_text(settings.ike_version));
  if (!local.is_unspecified_address()) conn.add_list("local_addrs", {address_text(local)});
  if (remote_address != nullptr) conn.add_list("remote_addrs", {*remote_address});
  if (!settings.ike_proposals.empty()) conn.add_list("proposals", settings.ike_proposals);
  conn.add("aggressive", settings.aggressive ? "yes" : "no");
  conn.add("encap", settings.force_encapsulation ? "yes" : "no");
  conn.add("rekey_time", seconds(settings.ike_lifetime_seconds));

  const char* auth = settings.uses_certificate() ? "pubkey" : "psk";
  vici::Section& ours = conn.add_section("local");
  ours.add("auth", auth);
  if (!settings.local_id.empty()) ours.add("id", settings.local_id);
  if (settings.uses_certificate()) {
    ours.begin_list("certs").emplace_back(settings.certificate.begin(), settings.certificate.end());
  }
  vici::Section& theirs = conn.add_section("remote");
  theirs.add("auth", auth);
  theirs.add("id", remote_id.empty() ? "%any" : remote_id);
  if (!settings.ca.empty()) {
    theirs.begin_list("cacerts").emplace_back(settings.ca.begin(), settings.ca.end());
  }

  vici::Section& child = conn.add_section("children").add_section(kChildName);
  child.add("mode", "transport");
  child.add_list("local_ts", {local_ts});
  child.add_list("remote_ts", {remote_ts});
  if (!settings.esp_proposals.empty()) child.add_list("esp_proposals", settings.esp_proposals);
  child.add("rekey_time", seconds(settings.sa_lifetime_seconds));
  // The tunnel decides when IPsec starts and ends; charon must not bring the
  // SA up on traffic or by itself.
  child.add("start_action", "none");
  child.add("close_action", "none");
  return request;
}

bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

struct FailureClass {
  std::string_view name;
  std::array<std::string_view, 4> markers;
};

// charon's words for each cause (IKEv1 and IKEv2 say it differently).
// The first class with a line wins: a refused proposal is what ended an
// exchange that also logged a key look-up on its way. Only words of failure:
// "authentication of '...' successful" (our own, say) is in the log of a
// gateway's certificate that no CA of ours signed ("no trusted ECDSA public
// key found for '...'").
constexpr std::array kFailureClasses{
    FailureClass{"no matching proposal",
                 {"NO_PROPOSAL_CHOSEN", "no acceptable proposal", "no matching proposal",
                  "TS_UNACCEPTABLE"}},
    FailureClass{
        "authentication failed",
        {"AUTHENTICATION_FAILED", "INVALID_HASH_INFORMATION", "no shared key found", "no trusted"}},
    FailureClass{"peer not responding",
                 {"giving up after", "retransmit", "peer not responding", "timed out"}},
};

std::string algorithm(const vici::Section& sa, std::string_view with_dh) {
  std::string text = sa.text("encr-alg");
  if (const std::string size = sa.text("encr-keysize"); !size.empty()) text += "-" + size;
  for (std::string_view key :
       {std::string_view("integ-alg"), std::string_view("prf-alg"), with_dh}) {
    if (key.empty()) continue;
    if (const std::string part = sa.text(key); !part.empty()) text += "/" + part;
  }
  return cleaned(text);
}

}  // namespace

std::string tunnel_connection_name(std::uint32_t tunnel_id) {
  return std::string(kNamePrefix) + "tunnel-" + std::to_string(tunnel_id);
}

std::string listener_connection_name(std::uint32_t listener_id) {
  return std::string(kNamePrefix) + "listener-" + std::to_string(listener_id);
}

bool is_ours(std::string_view name) {
  return name.starts_with(kNamePrefix);
}

std::string address_text(const Endpoint& endpoint) {
  std::array<char, INET6_ADDRSTRLEN> buffer{};
  const bool v6 = endpoint.family == Endpoint::Family::kIpv6;
  if (inet_ntop(v6 ? AF_INET6 : AF_INET, endpoint.address.data(), buffer.data(), buffer.size()) ==
      nullptr) {
    return {};
  }
  return buffer.data();
}

vici::Section initiator_connection(const std::string& name, const Endpoint& local,
                                   const Endpoint& peer, const IpsecSettings& settings) {
  const std::string peer_address = address_text(peer);
  // charon finds a PSK by the identities of both ends, the gateway's as
  // configured until it has told its own (IKEv2 computes its AUTH before): a
  // key owned by the gateway's address must be looked up with that address,
  // not %any, or tunnels to other gateways could lend it theirs.
  const std::string remote_id = settings.remote_id.empty() && !settings.uses_certificate()
                                    ? peer_address
                                    : settings.remote_id;
  return connection(name, local, settings, "dynamic[udp/" + std::to_string(local.port) + "]",
                    "dynamic[udp/" + std::to_string(peer.port) + "]", &peer_address, remote_id);
}

vici::Section responder_connection(const std::string& name, const Endpoint& local,
                                   const IpsecSettings& settings) {
  const std::uint16_t port = local.port != 0 ? local.port : kL2tpPort;
  // Built-in clients send from 1701, others from any port.
  return connection(name, local, settings, "dynamic[udp/" + std::to_string(port) + "]",
                    "dynamic[udp]", nullptr, {});
}

vici::Section shared_key(const std::string& name, const SecretBytes& psk,
                         const std::string& owner) {
  vici::Section request;
  request.add("id", name);
  request.add("type", "IKE");
  request.add("data", psk);
  if (!owner.empty()) request.add_list("owners", {owner});
  return request;
}

vici::Section private_key(const SecretBytes& key) {
  vici::Section request;
  request.add("type", "any");
  request.add("data", key);
  return request;
}

vici::Section initiate(const std::string& name, std::int32_t timeout_ms) {
  vici::Section request;
  request.add("child", kChildName);
  request.add("ike", name);
  request.add("timeout", std::to_string(timeout_ms));
  request.add("init-limits", "no");
  request.add("loglevel", "1");
  return request;
}

vici::Section terminate(const std::string& name) {
  vici::Section request;
  request.add("ike", name);
  request.add("timeout", "-1");
  return request;
}

vici::Section by_name(const std::string& name) {
  vici::Section request;
  request.add("name", name);
  return request;
}

vici::Section by_id(const std::string& id) {
  vici::Section request;
  request.add("id", id);
  return request;
}

std::expected<void, std::string> command_result(const vici::Section& response) {
  if (response.text("success") == "yes") return {};
  const std::string message = cleaned(response.text("errmsg"));
  return std::unexpected(message.empty() ? std::string("charon gave no reason") : message);
}

std::vector<std::string> listed_names(const vici::Section& response, std::string_view list) {
  std::vector<std::string> names;
  if (const std::vector<vici::Blob>* items = response.list(list)) {
    for (const vici::Blob& item : *items) names.push_back(text_of(item));
  }
  return names;
}

std::optional<IpsecStatus> sa_status(const vici::Section& event, const std::string& name) {
  const vici::Section* ike = event.section(name);
  if (ike == nullptr) return std::nullopt;
  IpsecStatus status;
  status.state = IpsecState::kEstablished;
  status.ike_version = ike->text("version") == "2" ? IkeVersion::kV2 : IkeVersion::kV1;
  status.ike_proposal = algorithm(*ike, "dh-group");
  status.nat_traversal = ike->text("nat-any") == "yes";
  if (const vici::Section* children = ike->section("child-sas")) {
    for (const vici::Section::Entry& entry : children->entries()) {
      const auto* child = std::get_if<vici::Section>(&entry.content);
      if (child == nullptr || child->text("name") != kChildName) continue;
      status.esp_proposal = algorithm(*child, "dh-group");
      status.nat_traversal = child->text("encap") == "yes";
    }
  }
  return status;
}

bool reports_down(const vici::Section& event, const std::string& name) {
  return event.section(name) != nullptr && event.text("up") != "yes";
}

// IKEv1 Main Mode sends its first encrypted message (ID and HASH, keyed by
// the PSK) as the third of the exchange. A gateway with another PSK cannot
// decrypt it and stays silent: retransmissions of exactly that message,
// after it answered the two before, are how a wrong PSK shows.
const std::string* silent_after_key_exchange(const std::vector<std::string>& log_lines) {
  for (auto line = log_lines.rbegin(); line != log_lines.rend(); ++line) {
    if (contains(*line, "retransmit") && contains(*line, "message ID 0, seq 3")) return &*line;
  }
  return nullptr;
}

std::string failure_reason(const std::string& errmsg, const std::vector<std::string>& log_lines) {
  const auto first_class = std::ranges::find_if(kFailureClasses, [&](const FailureClass& failure) {
    return std::ranges::any_of(log_lines, [&](const std::string& line) {
      return std::ranges::any_of(failure.markers,
                                 [&](std::string_view marker) { return contains(line, marker); });
    });
  });
  if (first_class != kFailureClasses.end() && first_class->name == "peer not responding") {
    if (const std::string* line = silent_after_key_exchange(log_lines)) {
      return "authentication failed (the gateway went silent after the key exchange, as it "
             "does when the PSKs differ; charon: " +
             cleaned(*line) + ")";
    }
  }
  for (const FailureClass& failure : kFailureClasses) {
    for (auto line = log_lines.rbegin(); line != log_lines.rend(); ++line) {
      for (std::string_view marker : failure.markers) {
        if (contains(*line, marker)) {
          return std::string(failure.name) + " (charon: " + cleaned(*line) + ")";
        }
      }
    }
  }
  const std::string shown =
      cleaned(errmsg.empty() && !log_lines.empty() ? log_lines.back() : errmsg);
  return "IKE failed" + (shown.empty() ? std::string() : " (charon: " + shown + ")");
}

std::string cleaned(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (out.size() >= kMaxShownText) break;
    const auto byte = static_cast<unsigned char>(c);
    out.push_back(byte >= 0x20 && byte < 0x7f ? c : '?');
  }
  return out;
}

}  // namespace l2tp::ipsec
