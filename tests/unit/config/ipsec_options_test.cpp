// The Ipsec* options of tunnels and listeners: defaults, every key's good
// and bad values, and the combinations refused. Each refusal is one change
// to a good base.
//
// The bounds (also in service/config/ipsec_options.cpp):
// | key                     | accepted                                        |
// |-------------------------|-------------------------------------------------|
// | IpsecPsk                | 1..4096 bytes                                   |
// | IpsecCertificate, IpsecPrivateKey, IpsecCa | PEM or DER, 1..65535 bytes   |
// | IpsecLocalId, IpsecRemoteId | 1..255 bytes                                |
// | IpsecIkeVersion         | 1, 2; listeners also 0                          |
// | Ike/EspProposals        | 1..32 of [a-z0-9_]+ joined by '-', <= 200 bytes |
// | Ike/SaLifetime          | 60..604800 s                                    |
#include <gtest/gtest.h>

#include <algorithm>

#include "config/options.h"
#include "option_cases.h"

namespace l2tp::config {
namespace {

using namespace cases;  // NOLINT(google-build-using-namespace): the test vocabulary

const std::vector<std::uint8_t> kPem{'-', '-', '-', '-', '-', 'B', 'E', 'G', 'I', 'N', ' ', 'X'};
const std::vector<std::uint8_t> kDer{0x30, 0x82, 0x01, 0x0a};

enum class IpsecBase { kTunnelPsk, kTunnelCertificate, kListenerPsk };

OptionMap base_map(IpsecBase base) {
  switch (base) {
    case IpsecBase::kTunnelPsk:
      return {{"Peer", s("192.0.2.1")}, {"IpsecPsk", ay({'s', 'e', 'c', 'r', 'e', 't'})}};
    case IpsecBase::kTunnelCertificate:
      return {{"Peer", s("192.0.2.1")},
              {"IpsecCertificate", ay(kPem)},
              {"IpsecPrivateKey", ay(kDer)},
              {"IpsecCa", ay(kDer)}};
    case IpsecBase::kListenerPsk:
      return {{"IpsecPsk", ay({'s', 'e', 'c', 'r', 'e', 't'})}};
  }
  return {};
}

std::expected<std::shared_ptr<const IpsecSettings>, OptionError> parse(IpsecBase base,
                                                                       const OptionMap& options) {
  if (base == IpsecBase::kListenerPsk) {
    auto listener = parse_listener_options(options, Defaults{"lns.example"});
    if (!listener) return std::unexpected(listener.error());
    return listener->ipsec;
  }
  auto tunnel = parse_tunnel_options(options, Defaults{"lac.example"});
  if (!tunnel) return std::unexpected(tunnel.error());
  return tunnel->config.ipsec;
}

std::shared_ptr<const IpsecSettings> good(IpsecBase base, const Change& change = {"Peer", {}}) {
  OptionMap options = base_map(base);
  if (change.value) options = changed(options, change);
  auto parsed = parse(base, options);
  if (!parsed) ADD_FAILURE() << parsed.error().to_string();
  return parsed ? *parsed : nullptr;
}

TEST(IpsecOptionsTest, WithoutIpsecKeysThereIsNoIpsec) {
  auto tunnel = parse_tunnel_options({{"Peer", s("192.0.2.1")}}, Defaults{});
  ASSERT_TRUE(tunnel.has_value());
  EXPECT_EQ(tunnel->config.ipsec, nullptr);
  auto listener = parse_listener_options({}, Defaults{});
  ASSERT_TRUE(listener.has_value());
  EXPECT_EQ(listener->ipsec, nullptr);
}

TEST(IpsecOptionsTest, TunnelDefaultsAreNetworkManagerL2tpsIkev1Lists) {
  const auto settings = good(IpsecBase::kTunnelPsk);
  ASSERT_NE(settings, nullptr);
  EXPECT_EQ(settings->psk, (SecretBytes{'s', 'e', 'c', 'r', 'e', 't'}));
  EXPECT_FALSE(settings->uses_certificate());
  EXPECT_EQ(settings->ike_version, IkeVersion::kV1);
  ASSERT_EQ(settings->ike_proposals.size(), 11u);
  EXPECT_EQ(settings->ike_proposals.front(), "aes256-sha2_256-modp2048");
  EXPECT_EQ(settings->ike_proposals.back(), "3des-sha1-modp1024");
  EXPECT_EQ(settings->esp_proposals,
            (std::vector<std::string>{"aes256-sha1", "aes128-sha1", "3des-sha1"}));
  EXPECT_EQ(settings->ike_lifetime_seconds, 10800u);
  EXPECT_EQ(settings->sa_lifetime_seconds, 3600u);
  EXPECT_FALSE(settings->force_encapsulation);
  EXPECT_FALSE(settings->pfs);
  EXPECT_FALSE(settings->aggressive);
  EXPECT_TRUE(settings->local_id.empty());
  EXPECT_TRUE(settings->remote_id.empty());
}

TEST(IpsecOptionsTest, Ikev2LeavesTheProposalsToCharon) {
  const auto settings = good(IpsecBase::kTunnelPsk, {"IpsecIkeVersion", u(2)});
  ASSERT_NE(settings, nullptr);
  EXPECT_EQ(settings->ike_version, IkeVersion::kV2);
  EXPECT_TRUE(settings->ike_proposals.empty());
  EXPECT_TRUE(settings->esp_proposals.empty());
}

TEST(IpsecOptionsTest, PfsAddsAKeyExchangeToTheDefaultEspProposals) {
  const auto settings = good(IpsecBase::kTunnelPsk, {"IpsecPfs", b(true)});
  ASSERT_NE(settings, nullptr);
  EXPECT_EQ(settings->esp_proposals,
            (std::vector<std::string>{"aes256-sha1-modp2048", "aes128-sha1-modp2048",
                                      "3des-sha1-modp2048"}));
}

TEST(IpsecOptionsTest, GivenValuesAreKept) {
  OptionMap options = base_map(IpsecBase::kTunnelPsk);
  options.insert_or_assign("IpsecLocalId", s("@client.example"));
  options.insert_or_assign("IpsecRemoteId", s("vpn.example.com"));
  options.insert_or_assign("IpsecIkeProposals", as({"aes128-sha256-modp3072"}));
  options.insert_or_assign("IpsecEspProposals", as({"aes128gcm16-modp3072", "aes256-sha2_256"}));
  options.insert_or_assign("IpsecIkeLifetime", u(60));
  options.insert_or_assign("IpsecSaLifetime", u(604800));
  options.insert_or_assign("IpsecForceEncapsulation", b(true));
  options.insert_or_assign("IpsecAggressive", b(true));
  auto parsed = parse(IpsecBase::kTunnelPsk, options);
  ASSERT_TRUE(parsed.has_value()) << parsed.error().to_string();
  const IpsecSettings& settings = **parsed;
  EXPECT_EQ(settings.local_id, "@client.example");
  EXPECT_EQ(settings.remote_id, "vpn.example.com");
  EXPECT_EQ(settings.ike_proposals, std::vector<std::string>{"aes128-sha256-modp3072"});
  EXPECT_EQ(settings.esp_proposals.size(), 2u);
  EXPECT_EQ(settings.ike_lifetime_seconds, 60u);
  EXPECT_EQ(settings.sa_lifetime_seconds, 604800u);
  EXPECT_TRUE(settings.force_encapsulation);
  EXPECT_TRUE(settings.aggressive);
}

TEST(IpsecOptionsTest, CertificatesAreKeptAsGiven) {
  const auto settings = good(IpsecBase::kTunnelCertificate);
  ASSERT_NE(settings, nullptr);
  EXPECT_TRUE(settings->uses_certificate());
  EXPECT_EQ(settings->certificate, kPem);
  EXPECT_EQ(settings->private_key, SecretBytes(kDer.begin(), kDer.end()));
  EXPECT_EQ(settings->ca, kDer);
  EXPECT_TRUE(settings->psk.empty());
}

TEST(IpsecOptionsTest, ListenersTakeEitherIkeVersionAndRequireIpsecByDefault) {
  const auto settings = good(IpsecBase::kListenerPsk);
  ASSERT_NE(settings, nullptr);
  EXPECT_EQ(settings->ike_version, IkeVersion::kEither);
  EXPECT_TRUE(settings->required);
  EXPECT_EQ(settings->ike_proposals.back(), "default");
  EXPECT_EQ(settings->esp_proposals.back(), "default");
  const auto optional = good(IpsecBase::kListenerPsk, {"IpsecRequired", b(false)});
  ASSERT_NE(optional, nullptr);
  EXPECT_FALSE(optional->required);
}

using IpsecBadCase = BadCase<IpsecBase>;
class IpsecRefusalTest : public ::testing::TestWithParam<IpsecBadCase> {};

TEST_P(IpsecRefusalTest, NamesTheKey) {
  const IpsecBadCase& bad = GetParam();
  const auto result = parse(bad.base, changed(base_map(bad.base), bad.change));
  ASSERT_FALSE(result.has_value()) << bad.name;
  expect_refusal(result.error(), bad.error_key, bad.message_part);
}

constexpr IpsecBase kPsk = IpsecBase::kTunnelPsk;
constexpr IpsecBase kCert = IpsecBase::kTunnelCertificate;
constexpr IpsecBase kListener = IpsecBase::kListenerPsk;

INSTANTIATE_TEST_SUITE_P(
    Ipsec, IpsecRefusalTest,
    ::testing::Values(
        IpsecBadCase{"PskEmpty", kPsk, {"IpsecPsk", ay({})}, "IpsecPsk", "1..4096"},
        IpsecBadCase{"PskTooLong", kPsk, {"IpsecPsk", ay_of_size(4097)}, "IpsecPsk", "1..4096"},
        IpsecBadCase{"PskWrongType", kPsk, {"IpsecPsk", s("secret")}, "IpsecPsk", "type ay"},
        IpsecBadCase{"KeyWithPsk",
                     kPsk,
                     {"IpsecPrivateKey", ay(kDer)},
                     "IpsecPrivateKey",
                     "needs IpsecCertificate"},
        IpsecBadCase{"CaWithPsk", kPsk, {"IpsecCa", ay(kDer)}, "IpsecCa", "needs IpsecCertificate"},
        IpsecBadCase{"PskAndCertificate",
                     kCert,
                     {"IpsecPsk", ay({'x'})},
                     "IpsecCertificate",
                     "not with IpsecPsk"},
        IpsecBadCase{"CertificateWithoutKey", kCert, removed("IpsecPrivateKey"), "IpsecPrivateKey",
                     "required"},
        IpsecBadCase{"CertificateIsAPath",
                     kCert,
                     {"IpsecCertificate", ay({'/', 'e', 't', 'c', '/', 'c'})},
                     "IpsecCertificate",
                     "not its path"},
        IpsecBadCase{"CertificateTooLong",
                     kCert,
                     {"IpsecCertificate", ay_of_size(65536)},
                     "IpsecCertificate",
                     "1..65535"},
        IpsecBadCase{"KeyEmpty", kCert, {"IpsecPrivateKey", ay({})}, "IpsecPrivateKey", "1..65535"},
        IpsecBadCase{"LocalIdEmpty", kPsk, {"IpsecLocalId", s("")}, "IpsecLocalId", "1..255"},
        IpsecBadCase{"RemoteIdTooLong",
                     kPsk,
                     {"IpsecRemoteId", s(std::string(256, 'a'))},
                     "IpsecRemoteId",
                     "1..255"},
        IpsecBadCase{
            "RemoteIdControl", kPsk, {"IpsecRemoteId", s("a\nb")}, "IpsecRemoteId", "control"},
        IpsecBadCase{
            "IkeVersionZeroForTunnels", kPsk, {"IpsecIkeVersion", u(0)}, "IpsecIkeVersion", "1..2"},
        IpsecBadCase{"IkeVersionThree", kPsk, {"IpsecIkeVersion", u(3)}, "IpsecIkeVersion", "1..2"},
        IpsecBadCase{"ListenerIkeVersionThree",
                     kListener,
                     {"IpsecIkeVersion", u(3)},
                     "IpsecIkeVersion",
                     "0..2"},
        IpsecBadCase{"ProposalsEmpty",
                     kPsk,
                     {"IpsecIkeProposals", as({})},
                     "IpsecIkeProposals",
                     "must not be empty"},
        IpsecBadCase{"ProposalUppercase",
                     kPsk,
                     {"IpsecIkeProposals", as({"AES256-SHA1"})},
                     "IpsecIkeProposals",
                     "a-z, 0-9"},
        IpsecBadCase{"ProposalWithComma",
                     kPsk,
                     {"IpsecEspProposals", as({"aes256-sha1,3des"})},
                     "IpsecEspProposals",
                     "a-z, 0-9"},
        IpsecBadCase{"ProposalWithBang",
                     kPsk,
                     {"IpsecEspProposals", as({"aes256-sha1!"})},
                     "IpsecEspProposals",
                     "a-z, 0-9"},
        IpsecBadCase{"ProposalDoubleDash",
                     kPsk,
                     {"IpsecEspProposals", as({"aes256--sha1"})},
                     "IpsecEspProposals",
                     "a-z, 0-9"},
        IpsecBadCase{"ProposalTrailingDash",
                     kPsk,
                     {"IpsecEspProposals", as({"aes256-"})},
                     "IpsecEspProposals",
                     "a-z, 0-9"},
        IpsecBadCase{"ProposalEmptyString",
                     kPsk,
                     {"IpsecEspProposals", as({""})},
                     "IpsecEspProposals",
                     "a-z, 0-9"},
        IpsecBadCase{"ProposalTooLong",
                     kPsk,
                     {"IpsecEspProposals", as({std::string(201, 'a')})},
                     "IpsecEspProposals",
                     "200"},
        IpsecBadCase{"TooManyProposals",
                     kPsk,
                     {"IpsecEspProposals", as(std::vector<std::string>(33, "aes128-sha1"))},
                     "IpsecEspProposals",
                     "at most 32"},
        IpsecBadCase{"IkeLifetimeShort",
                     kPsk,
                     {"IpsecIkeLifetime", u(59)},
                     "IpsecIkeLifetime",
                     "60..604800"},
        IpsecBadCase{"SaLifetimeLong",
                     kPsk,
                     {"IpsecSaLifetime", u(604801)},
                     "IpsecSaLifetime",
                     "60..604800"},
        IpsecBadCase{"AggressiveWithCertificate",
                     kCert,
                     {"IpsecAggressive", b(true)},
                     "IpsecAggressive",
                     "needs IpsecPsk"},
        IpsecBadCase{"RemoteIdOnListener",
                     kListener,
                     {"IpsecRemoteId", s("x")},
                     "IpsecRemoteId",
                     "unknown option"},
        IpsecBadCase{"RequiredOnTunnel",
                     kPsk,
                     {"IpsecRequired", b(true)},
                     "IpsecRequired",
                     "unknown option"}),
    case_name<IpsecBase>);

// Refusals that need two changes to a base.
TEST(IpsecOptionsTest, CombinationsAreRefusedNamingTheKey) {
  {
    OptionMap options = base_map(kPsk);
    options.erase("IpsecPsk");
    options.insert_or_assign("IpsecIkeVersion", u(2));
    auto result = parse(kPsk, options);
    ASSERT_FALSE(result.has_value());
    expect_refusal(result.error(), "IpsecIkeVersion", "needs IpsecPsk or IpsecCertificate");
  }
  {
    OptionMap options = base_map(kPsk);
    options.insert_or_assign("IpsecPfs", b(true));
    options.insert_or_assign("IpsecEspProposals", as({"aes256-sha1-modp2048", "aes256-sha1"}));
    auto result = parse(kPsk, options);
    ASSERT_FALSE(result.has_value());
    expect_refusal(result.error(), "IpsecEspProposals", "names a key exchange");
  }
  {
    OptionMap options = base_map(kPsk);
    options.insert_or_assign("IpsecAggressive", b(true));
    options.insert_or_assign("IpsecIkeVersion", u(2));
    auto result = parse(kPsk, options);
    ASSERT_FALSE(result.has_value());
    expect_refusal(result.error(), "IpsecAggressive", "IpsecIkeVersion 1");
  }
  for (const auto& [key, value] :
       {std::pair{"Mode", s("quiescent")}, std::pair{"Encapsulation", s("ip")}}) {
    OptionMap options = base_map(kPsk);
    options.insert_or_assign("Version", u(3));
    options.insert_or_assign(key, value);
    if (std::string(key) == "Mode") {
      options.insert_or_assign("TunnelId", u(1));
      options.insert_or_assign("PeerTunnelId", u(2));
    }
    auto result = parse(kPsk, options);
    ASSERT_FALSE(result.has_value()) << key;
    expect_refusal(result.error(), "IpsecPsk", "needs");
  }
}

TEST(IpsecOptionsTest, ParsedOptionsCanBeWipedOfTheirSecrets) {
  OptionMap options = base_map(kCert);
  options.insert_or_assign("IpsecLocalId", s("@me"));
  const auto parsed = parse(kCert, options);
  ASSERT_TRUE(parsed.has_value());
  options.insert_or_assign("Password", s("pw"));  // a session's, wiped the same way
  wipe_secrets(options);
  for (const char* key : {"IpsecCertificate", "IpsecPrivateKey", "IpsecCa"}) {
    const auto& bytes = std::get<std::vector<std::uint8_t>>(options.at(key));
    EXPECT_TRUE(std::ranges::all_of(bytes, [](std::uint8_t b) { return b == 0; })) << key;
  }
  EXPECT_EQ(std::get<std::string>(options.at("Password")), std::string(2, '\0'));
  EXPECT_EQ(std::get<std::string>(options.at("IpsecLocalId")), "@me");       // not a secret
  EXPECT_EQ((*parsed)->private_key, SecretBytes(kDer.begin(), kDer.end()));  // the parsed copy
}

}  // namespace
}  // namespace l2tp::config
