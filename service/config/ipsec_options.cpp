// The Ipsec* options of tunnels and listeners (doc/dbus-api.md, "IPsec"):
// every value is checked here, before anything reaches charon.
//
// | key                     | accepted                                        | default          |
// |-------------------------|-------------------------------------------------|------------------|
// | IpsecPsk                | 1..4096 bytes                                   | none             |
// | IpsecCertificate        | PEM or DER, 1..65535 bytes                      | none             |
// | IpsecPrivateKey         | PEM or DER, 1..65535 bytes; with a certificate  | none             |
// | IpsecCa                 | PEM or DER, 1..65535 bytes; with a certificate  | none             |
// | IpsecLocalId            | 1..255 bytes                                    | charon's         |
// | IpsecRemoteId (tunnel)  | 1..255 bytes                                    | PSK: the gateway's
// address; certificate: any | | IpsecIkeVersion         | 1, 2 (listeners also 0: either) | tunnel
// 1, listener 0 | | IpsecIkeProposals       | 1..32 of tokens [a-z0-9_]+ joined by '-'        | see
// below | | IpsecEspProposals       | the same                                        | see below
// | | IpsecForceEncapsulation |                                                 | false | |
// IpsecIkeLifetime        | 60..604800 s                                    | 10800            | |
// IpsecSaLifetime         | 60..604800 s                                    | 3600             | |
// IpsecPfs                | ESP proposals must name a key exchange          | false            | |
// IpsecAggressive         | IKEv1 with IpsecPsk only                        | false            | |
// IpsecRequired (listener)|                                                 | true             |
//
// IpsecPsk or IpsecCertificate switches IPsec on; every other Ipsec key
// needs one of them.
#include "config/ipsec_options.h"

#include <algorithm>
#include <array>

namespace l2tp::config::detail {

namespace {

constexpr std::size_t kMaxPskBytes = 4096;
// A VICI value holds at most 65,535 bytes.
constexpr std::size_t kMaxBlobBytes = 65535;
constexpr std::size_t kMaxIdBytes = 255;
constexpr std::size_t kMaxProposals = 32;
constexpr std::size_t kMaxProposalBytes = 200;
constexpr std::uint32_t kMinLifetimeSeconds = 60;
constexpr std::uint32_t kMaxLifetimeSeconds = 604800;

// NetworkManager-l2tp's defaults for IKEv1, which merge what the Windows 10
// and Apple clients propose: the servers those clients reach accept them.
constexpr std::array<std::string_view, 11> kIkev1IkeProposals{
    "aes256-sha2_256-modp2048", "aes256-sha2_256-modp1536", "aes256-sha2_256-modp1024",
    "aes256-sha1-modp2048",     "aes256-sha1-modp1536",     "aes256-sha1-modp1024",
    "aes256-sha1-ecp384",       "aes128-sha1-modp1024",     "aes128-sha1-ecp256",
    "3des-sha1-modp2048",       "3des-sha1-modp1024",
};
constexpr std::array<std::string_view, 3> kIkev1EspProposals{"aes256-sha1", "aes128-sha1",
                                                             "3des-sha1"};
// What IpsecPfs adds to each default ESP proposal.
constexpr std::string_view kPfsGroup = "modp2048";

bool is_token_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

bool is_proposal(std::string_view text) {
  if (text.empty() || text.size() > kMaxProposalBytes) return false;
  if (text.front() == '-' || text.back() == '-') return false;
  char previous = '\0';
  for (char c : text) {
    if (c == '-') {
      if (previous == '-') return false;
    } else if (!is_token_char(c)) {
      return false;
    }
    previous = c;
  }
  return true;
}

// A key exchange (DH) group among the proposal's tokens: what makes an ESP
// proposal use perfect forward secrecy.
bool names_key_exchange(std::string_view proposal) {
  std::size_t start = 0;
  while (start <= proposal.size()) {
    std::size_t end = proposal.find('-', start);
    if (end == std::string_view::npos) end = proposal.size();
    const std::string_view token = proposal.substr(start, end - start);
    for (std::string_view prefix : {"modp", "ecp", "curve", "x25519", "x448"}) {
      if (token.starts_with(prefix)) return true;
    }
    start = end + 1;
  }
  return false;
}

std::expected<std::vector<std::string>, OptionError> read_proposals(const OptionReader& reader,
                                                                    std::string_view key) {
  const std::vector<std::string>* given = reader.string_list(key);
  if (given->empty()) return fail(key, "must not be empty (omit it for the default)");
  if (given->size() > kMaxProposals) return fail(key, "at most 32 proposals");
  for (const std::string& proposal : *given) {
    if (!is_proposal(proposal)) {
      return fail(key,
                  "expected algorithm names of a-z, 0-9 and _ joined by -, e.g. "
                  "aes256-sha1-modp2048 (at most 200 characters); got " +
                      shown_in_error(proposal));
    }
  }
  return *given;
}

// PEM text or DER (an ASN.1 SEQUENCE): charon parses it, so this only
// catches a path or a password given where data belongs.
bool looks_like_certificate_data(const std::vector<std::uint8_t>& data) {
  static constexpr std::string_view kPem = "-----BEGIN ";
  if (data.size() >= kPem.size() && std::equal(kPem.begin(), kPem.end(), data.begin())) return true;
  return data.size() >= 2 && data[0] == 0x30;
}

std::expected<void, OptionError> read_blob(const OptionReader& reader, std::string_view key,
                                           auto& out) {
  const std::vector<std::uint8_t>* data = reader.bytes(key);
  if (data == nullptr) return {};
  if (data->empty() || data->size() > kMaxBlobBytes) return fail(key, "expected 1..65535 bytes");
  if (!looks_like_certificate_data(*data)) {
    return fail(key, "expected PEM or DER data (the file's contents, not its path)");
  }
  out.assign(data->begin(), data->end());
  return {};
}

std::expected<void, OptionError> read_id(const OptionReader& reader, std::string_view key,
                                         std::string& out) {
  const std::string* id = reader.string(key);
  if (id == nullptr) return {};
  if (id->empty() || id->size() > kMaxIdBytes) return fail(key, "expected 1..255 bytes");
  out = *id;
  return {};
}

struct IpsecKey {
  std::string_view key;
  OptionType type;
  bool tunnel;
  bool listener;
};

constexpr std::array kIpsecKeys{
    IpsecKey{"IpsecPsk", OptionType::kBytes, true, true},
    IpsecKey{"IpsecCertificate", OptionType::kBytes, true, true},
    IpsecKey{"IpsecPrivateKey", OptionType::kBytes, true, true},
    IpsecKey{"IpsecCa", OptionType::kBytes, true, true},
    IpsecKey{"IpsecLocalId", OptionType::kString, true, true},
    IpsecKey{"IpsecRemoteId", OptionType::kString, true, false},
    IpsecKey{"IpsecIkeVersion", OptionType::kUint32, true, true},
    IpsecKey{"IpsecIkeProposals", OptionType::kStringList, true, true},
    IpsecKey{"IpsecEspProposals", OptionType::kStringList, true, true},
    IpsecKey{"IpsecIkeLifetime", OptionType::kUint32, true, true},
    IpsecKey{"IpsecSaLifetime", OptionType::kUint32, true, true},
    IpsecKey{"IpsecForceEncapsulation", OptionType::kBool, true, true},
    IpsecKey{"IpsecPfs", OptionType::kBool, true, true},
    IpsecKey{"IpsecAggressive", OptionType::kBool, true, true},
    IpsecKey{"IpsecRequired", OptionType::kBool, false, true},
};

bool applies(const IpsecKey& entry, ObjectKind kind) {
  return kind == ObjectKind::kTunnel ? entry.tunnel
                                     : kind == ObjectKind::kListener && entry.listener;
}

// The first Ipsec key present, in vocabulary order, for "needs IpsecPsk".
std::optional<std::string_view> first_ipsec_key(const OptionReader& reader, ObjectKind kind) {
  for (const IpsecKey& entry : kIpsecKeys) {
    if (applies(entry, kind) && reader.has(entry.key)) return entry.key;
  }
  return std::nullopt;
}

}  // namespace

std::vector<std::string_view> ipsec_option_keys(ObjectKind kind) {
  std::vector<std::string_view> keys;
  for (const IpsecKey& entry : kIpsecKeys) {
    if (applies(entry, kind)) keys.push_back(entry.key);
  }
  return keys;
}

std::optional<OptionType> ipsec_option_type(ObjectKind kind, std::string_view key) {
  for (const IpsecKey& entry : kIpsecKeys) {
    if (entry.key == key && applies(entry, kind)) return entry.type;
  }
  return std::nullopt;
}

std::expected<std::shared_ptr<const IpsecSettings>, OptionError> read_ipsec_settings(
    const OptionReader& reader, ObjectKind kind) {
  const std::optional<std::string_view> first = first_ipsec_key(reader, kind);
  if (!first) return nullptr;
  const bool psk = reader.has("IpsecPsk");
  const bool certificate = reader.has("IpsecCertificate");
  if (!psk && !certificate) return fail(*first, "needs IpsecPsk or IpsecCertificate");
  if (psk && certificate) {
    return fail("IpsecCertificate", "not with IpsecPsk: authenticate with one of them");
  }

  auto settings = std::make_shared<IpsecSettings>();
  if (psk) {
    const std::vector<std::uint8_t>& key = *reader.bytes("IpsecPsk");
    if (key.empty() || key.size() > kMaxPskBytes) return fail("IpsecPsk", "expected 1..4096 bytes");
    settings->psk.assign(key.begin(), key.end());
    for (std::string_view key_only : {"IpsecPrivateKey", "IpsecCa"}) {
      if (reader.has(key_only)) return fail(key_only, "needs IpsecCertificate");
    }
  } else {
    if (!reader.has("IpsecPrivateKey")) {
      return fail("IpsecPrivateKey", "required with IpsecCertificate");
    }
    for (auto [key, out] : {std::pair{"IpsecCertificate", &settings->certificate},
                            std::pair{"IpsecCa", &settings->ca}}) {
      if (auto blob = read_blob(reader, key, *out); !blob) return std::unexpected(blob.error());
    }
    if (auto blob = read_blob(reader, "IpsecPrivateKey", settings->private_key); !blob) {
      return std::unexpected(blob.error());
    }
  }
  if (auto id = read_id(reader, "IpsecLocalId", settings->local_id); !id) {
    return std::unexpected(id.error());
  }
  if (auto id = read_id(reader, "IpsecRemoteId", settings->remote_id); !id) {
    return std::unexpected(id.error());
  }

  const bool listener = kind == ObjectKind::kListener;
  auto version = read_in_range(reader, "IpsecIkeVersion", listener ? 0 : 1, 2, listener ? 0 : 1);
  if (!version) return std::unexpected(version.error());
  settings->ike_version = static_cast<IkeVersion>(*version);

  for (auto [key, field] : {std::pair{"IpsecIkeLifetime", &settings->ike_lifetime_seconds},
                            std::pair{"IpsecSaLifetime", &settings->sa_lifetime_seconds}}) {
    auto seconds = read_in_range(reader, key, kMinLifetimeSeconds, kMaxLifetimeSeconds, *field);
    if (!seconds) return std::unexpected(seconds.error());
    *field = *seconds;
  }
  settings->force_encapsulation = reader.boolean("IpsecForceEncapsulation", false);
  settings->pfs = reader.boolean("IpsecPfs", false);
  settings->aggressive = reader.boolean("IpsecAggressive", false);
  settings->required = reader.boolean("IpsecRequired", true);
  if (settings->aggressive && (!psk || settings->ike_version != IkeVersion::kV1)) {
    return fail("IpsecAggressive", "needs IpsecPsk and IpsecIkeVersion 1");
  }

  // IKEv2 peers agree on charon's defaults; IKEv1 servers expect what the
  // Windows and Apple clients offer. A listener taking either offers both.
  const bool v1_lists = settings->ike_version != IkeVersion::kV2;
  const bool add_default = settings->ike_version == IkeVersion::kEither;
  if (reader.has("IpsecIkeProposals")) {
    auto proposals = read_proposals(reader, "IpsecIkeProposals");
    if (!proposals) return std::unexpected(proposals.error());
    settings->ike_proposals = std::move(*proposals);
  } else if (v1_lists) {
    settings->ike_proposals.assign(kIkev1IkeProposals.begin(), kIkev1IkeProposals.end());
    if (add_default) settings->ike_proposals.emplace_back("default");
  }
  if (reader.has("IpsecEspProposals")) {
    auto proposals = read_proposals(reader, "IpsecEspProposals");
    if (!proposals) return std::unexpected(proposals.error());
    if (settings->pfs) {
      for (const std::string& proposal : *proposals) {
        if (!names_key_exchange(proposal)) {
          return fail("IpsecEspProposals",
                      "with IpsecPfs every proposal names a key exchange (e.g. -modp2048); " +
                          shown_in_error(proposal) + " does not");
        }
      }
    }
    settings->esp_proposals = std::move(*proposals);
  } else if (v1_lists || settings->pfs) {
    if (v1_lists) {
      settings->esp_proposals.assign(kIkev1EspProposals.begin(), kIkev1EspProposals.end());
    } else {
      settings->esp_proposals = {"aes256gcm16", "aes128-sha256"};
    }
    if (settings->pfs) {
      for (std::string& proposal : settings->esp_proposals) {
        proposal += "-";
        proposal += kPfsGroup;
      }
    }
    if (add_default && !settings->pfs) settings->esp_proposals.emplace_back("default");
  }
  return settings;
}

}  // namespace l2tp::config::detail
