// L2TP/IPsec (RFC 3193) as the control plane sees it: the settings a tunnel
// or listener was given (validated by config), the port through which the
// engine asks for a tunnel's path to be protected before its first control
// message, and the answers it gets. The ipsec room implements the port with
// strongSwan's charon; the engine never sees how.
#pragma once

#include <cstddef>
#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/endpoint.h"
#include "core/secret.h"

namespace l2tp {

enum class IkeVersion : std::uint8_t { kEither = 0, kV1 = 1, kV2 = 2 };

// The IPsec options of a tunnel or listener (doc/dbus-api.md), defaults
// applied: proposals are the lists charon gets (empty: charon's default).
struct IpsecSettings {
  SecretBytes psk;                        // or certificate + private_key
  std::vector<std::uint8_t> certificate;  // PEM or DER, as given
  SecretBytes private_key;
  std::vector<std::uint8_t> ca;
  std::string local_id;   // empty: charon's default (our address or subject)
  std::string remote_id;  // empty: any
  IkeVersion ike_version = IkeVersion::kV1;
  std::vector<std::string> ike_proposals;
  std::vector<std::string> esp_proposals;
  bool force_encapsulation = false;
  bool aggressive = false;
  bool pfs = false;
  std::uint32_t ike_lifetime_seconds = 10800;
  std::uint32_t sa_lifetime_seconds = 3600;
  bool required = true;  // listeners: cleartext L2TP is dropped by the kernel

  bool uses_certificate() const { return !certificate.empty(); }
};

// Where the IPsec step of a tunnel stands (Tunnel.Ipsec on the bus).
enum class IpsecState : std::uint8_t {
  kNone,         // the tunnel uses no IPsec
  kNegotiating,  // IKE running; no L2TP message sent yet
  kEstablished,  // CHILD_SA up: L2TP runs inside it
  kFailed,       // IKE failed, or the SA went down; the tunnel ended
};
const char* to_string(IpsecState state);

struct IpsecStatus {
  IpsecState state = IpsecState::kNone;
  IkeVersion ike_version = IkeVersion::kV1;
  std::string ike_proposal;  // as charon names it, e.g. AES_CBC_256/HMAC_SHA1_96/...
  std::string esp_proposal;
  bool nat_traversal = false;  // ESP in UDP 4500
  bool operator==(const IpsecStatus&) const = default;
};

// Answers of the IPsec port, delivered from the loop (never from inside a
// call to the port).
class IpsecEvents {
 public:
  virtual ~IpsecEvents() = default;
  virtual void ipsec_established(std::uint32_t tunnel_id, const IpsecStatus& status) = 0;
  // IKE failed (while negotiating) or the SA went down (once established).
  // `reason` is a sentence for LastResult: what failed and charon's words.
  virtual void ipsec_failed(std::uint32_t tunnel_id, const std::string& reason) = 0;
};

class IpsecPort {
 public:
  virtual ~IpsecPort() = default;
  // Protect the UDP flow local <-> peer (transport mode, exactly these
  // addresses and ports) with `settings`; answer through IpsecEvents.
  virtual void establish(std::uint32_t tunnel_id, const Endpoint& local, const Endpoint& peer,
                         std::shared_ptr<const IpsecSettings> settings) = 0;
  // The tunnel ended (at any step, negotiating included): close its SA and
  // forget its connection and credentials. No answer follows.
  virtual void release(std::uint32_t tunnel_id) = 0;
};

// What the daemon needs beyond the engine's port: listeners' responder
// connections, and a clean slate at start-up.
class IpsecService : public IpsecPort {
 public:
  // `done` runs from the loop, with the IKE daemon's refusal if any.
  using Done = std::function<void(std::expected<void, std::string>)>;
  // Nothing when the IKE daemon answers (connecting to it if need be), else
  // why not.
  virtual std::optional<std::string> unavailable() = 0;
  virtual void protect_listener(std::uint32_t listener_id, const Endpoint& local,
                                std::shared_ptr<const IpsecSettings> settings, Done done) = 0;
  virtual void release_listener(std::uint32_t listener_id) = 0;
  // Removes what an earlier run of the daemon left in the IKE daemon.
  virtual void remove_leftovers() = 0;
};

}  // namespace l2tp
