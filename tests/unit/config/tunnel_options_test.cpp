// Tunnel options: defaults, every key's good and bad values, and the
// combinations the protocol forbids. Each refusal is one change to a good base.
//
// The bounds (also in service/config/options.cpp):
// | key                  | min                      | max              |
// |----------------------|--------------------------|------------------|
// | TunnelId (v2)        | 1                        | 65535            |
// | TunnelId (v3)        | 1                        | 4294967295       |
// | PeerTunnelId         | as TunnelId              |                  |
// | Peer / Local port    | 1                        | 65535            |
// | HostName             | 1 byte                   | 255 bytes        |
// | Secret               | 1 byte                   | 255 bytes        |
// | HelloInterval        | 0 s (off)                | 3600 s           |
// | RetransmitTimeout    | 100 ms                   | 60000 ms         |
// | MaxRetransmitTimeout | RetransmitTimeout        | 300000 ms        |
// | MaxRetransmits       | 1                        | 64               |
// | ReceiveWindow        | 1                        | 65535            |
#include <gtest/gtest.h>

#include "config/options.h"
#include "option_cases.h"

namespace l2tp::config {
namespace {

using namespace cases;  // NOLINT(google-build-using-namespace): the test vocabulary
using std::chrono::milliseconds;

enum class TunnelBase { kDynamicV2, kDynamicV3, kIpV3, kStaticV3, kQuiescentV2, kSixV2 };

OptionMap base_map(TunnelBase base) {
  switch (base) {
    case TunnelBase::kDynamicV2:
      return {{"Peer", s("192.0.2.1")}};
    case TunnelBase::kDynamicV3:
      return {{"Peer", s("192.0.2.1")}, {"Version", u(3)}};
    case TunnelBase::kIpV3:
      return {{"Peer", s("192.0.2.1")}, {"Version", u(3)}, {"Encapsulation", s("ip")}};
    case TunnelBase::kStaticV3:
      return {{"Peer", s("192.0.2.1")},
              {"Version", u(3)},
              {"Mode", s("static")},
              {"TunnelId", u(10)},
              {"PeerTunnelId", u(20)}};
    case TunnelBase::kQuiescentV2:
      return {{"Peer", s("192.0.2.1")},
              {"Mode", s("quiescent")},
              {"TunnelId", u(10)},
              {"PeerTunnelId", u(20)}};
    case TunnelBase::kSixV2:
      return {{"Peer", s("[2001:db8::1]:1701")}};
  }
  return {};
}

std::expected<TunnelRequest, OptionError> parse(const OptionMap& options) {
  return parse_tunnel_options(options, Defaults{"lac.example"});
}

TEST(TunnelOptionsTest, AllBasesAreGood) {
  for (auto base : {TunnelBase::kDynamicV2, TunnelBase::kDynamicV3, TunnelBase::kIpV3,
                    TunnelBase::kStaticV3, TunnelBase::kQuiescentV2, TunnelBase::kSixV2}) {
    const auto result = parse(base_map(base));
    EXPECT_TRUE(result.has_value()) << static_cast<int>(base) << ": " << result.error().to_string();
  }
}

TEST(TunnelOptionsTest, DefaultsFollowTheContract) {
  const auto result = parse(base_map(TunnelBase::kDynamicV2));
  ASSERT_TRUE(result.has_value()) << result.error().to_string();
  const fsm::TunnelConfig& config = result->config;
  EXPECT_EQ(config.mode, fsm::TunnelMode::kDynamic);
  EXPECT_EQ(config.version, wire::ProtocolVersion::kV2);
  EXPECT_EQ(config.encapsulation, wire::Encapsulation::kUdp);
  EXPECT_EQ(config.peer, fsm::Endpoint::ipv4({192, 0, 2, 1}, 1701));
  EXPECT_EQ(config.local.family, fsm::Endpoint::Family::kUnspecified);
  EXPECT_EQ(config.local.port, 0);
  EXPECT_FALSE(result->local_port_given);
  EXPECT_EQ(config.tunnel_id, 0u);
  EXPECT_EQ(config.peer_tunnel_id, 0u);
  EXPECT_EQ(config.control.host_name, "lac.example");
  EXPECT_TRUE(config.control.secret.empty());
  EXPECT_FALSE(config.control.hide_avps);
  EXPECT_EQ(config.control.channel.hello_interval, milliseconds(60000));
  EXPECT_EQ(config.control.channel.retransmit_timeout, milliseconds(1000));
  EXPECT_EQ(config.control.channel.max_retransmit_timeout, milliseconds(8000));
  EXPECT_EQ(config.control.channel.max_retransmits, 5u);
  EXPECT_EQ(config.control.channel.receive_window, 16);
  EXPECT_TRUE(config.udp_checksum);
  EXPECT_EQ(result->peer.host, "192.0.2.1");
  EXPECT_EQ(result->peer.port, 1701);
  EXPECT_TRUE(result->peer.is_numeric);
}

TEST(TunnelOptionsTest, EveryKeyIsApplied) {
  const OptionMap options{
      {"Mode", s("quiescent")},         {"Version", u(3)},
      {"Encapsulation", s("udp")},      {"Peer", s("192.0.2.1:1702")},
      {"Local", s("192.0.2.2:1703")},   {"TunnelId", u(70000)},
      {"PeerTunnelId", u(4294967295u)}, {"HostName", s("zürich-lac")},
      {"Secret", ay({0, '\n', 0xff})},  {"HideAvps", b(true)},
      {"HelloInterval", u(0)},          {"RetransmitTimeout", u(250)},
      {"MaxRetransmitTimeout", u(250)}, {"MaxRetransmits", u(64)},
      {"ReceiveWindow", u(65535)},      {"UdpChecksum", b(false)},
  };
  const auto result = parse(options);
  ASSERT_TRUE(result.has_value()) << result.error().to_string();
  const fsm::TunnelConfig& config = result->config;
  EXPECT_EQ(config.mode, fsm::TunnelMode::kQuiescent);
  EXPECT_EQ(config.version, wire::ProtocolVersion::kV3);
  EXPECT_EQ(config.peer, fsm::Endpoint::ipv4({192, 0, 2, 1}, 1702));
  EXPECT_EQ(config.local, fsm::Endpoint::ipv4({192, 0, 2, 2}, 1703));
  EXPECT_TRUE(result->local_port_given);
  EXPECT_EQ(config.tunnel_id, 70000u);
  EXPECT_EQ(config.peer_tunnel_id, 4294967295u);
  EXPECT_EQ(config.control.host_name, "zürich-lac");
  EXPECT_EQ(config.control.secret, (wire::Bytes{0, '\n', 0xff}));
  EXPECT_TRUE(config.control.hide_avps);
  EXPECT_EQ(config.control.channel.hello_interval, milliseconds(0));
  EXPECT_EQ(config.control.channel.retransmit_timeout, milliseconds(250));
  EXPECT_EQ(config.control.channel.max_retransmit_timeout, milliseconds(250));
  EXPECT_EQ(config.control.channel.max_retransmits, 64u);
  EXPECT_EQ(config.control.channel.receive_window, 65535);
  EXPECT_FALSE(config.udp_checksum);
}

TEST(TunnelOptionsTest, ModesAndVersions) {
  auto result = parse(base_map(TunnelBase::kStaticV3));
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->config.mode, fsm::TunnelMode::kStatic);
  EXPECT_EQ(result->config.tunnel_id, 10u);
  EXPECT_EQ(result->config.peer_tunnel_id, 20u);
  result = parse(base_map(TunnelBase::kQuiescentV2));
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->config.mode, fsm::TunnelMode::kQuiescent);
  EXPECT_EQ(result->config.version, wire::ProtocolVersion::kV2);
  result = parse(changed(base_map(TunnelBase::kDynamicV2), {"Mode", s("dynamic")}));
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->config.mode, fsm::TunnelMode::kDynamic);
  result = parse(changed(base_map(TunnelBase::kDynamicV2), {"TunnelId", u(65535)}));
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->config.tunnel_id, 65535u);
}

TEST(TunnelOptionsTest, IpEncapsulationHasNoPorts) {
  const auto result = parse(changed(base_map(TunnelBase::kIpV3), {"Local", s("192.0.2.2")}));
  ASSERT_TRUE(result.has_value()) << result.error().to_string();
  EXPECT_EQ(result->config.encapsulation, wire::Encapsulation::kIp);
  EXPECT_EQ(result->config.peer, fsm::Endpoint::ipv4({192, 0, 2, 1}, 0));
  EXPECT_EQ(result->peer.port, 0);
  EXPECT_EQ(result->config.local, fsm::Endpoint::ipv4({192, 0, 2, 2}, 0));
  EXPECT_FALSE(result->local_port_given);
}

struct PeerCase {
  std::string name;
  std::string text;
  std::string host;
  std::uint16_t port;
  bool is_numeric;
};

class TunnelPeerTest : public ::testing::TestWithParam<PeerCase> {};

TEST_P(TunnelPeerTest, IsAccepted) {
  const PeerCase& peer = GetParam();
  const auto result = parse(changed(base_map(TunnelBase::kDynamicV2), {"Peer", s(peer.text)}));
  ASSERT_TRUE(result.has_value()) << result.error().to_string();
  EXPECT_EQ(result->peer.host, peer.host);
  EXPECT_EQ(result->peer.port, peer.port);
  EXPECT_EQ(result->peer.is_numeric, peer.is_numeric);
  if (peer.is_numeric) {
    EXPECT_EQ(result->config.peer, *fsm::Endpoint::parse(peer.text, 1701));
  } else {
    EXPECT_EQ(result->config.peer.family, fsm::Endpoint::Family::kUnspecified);
  }
}

const std::string kLongLabel(63, 'a');
// 253 characters: three labels of 63, one of 61, and the dots between.
const std::string kLongestName =
    kLongLabel + "." + kLongLabel + "." + kLongLabel + "." + std::string(61, 'b');

INSTANTIATE_TEST_SUITE_P(
    Peers, TunnelPeerTest,
    ::testing::Values(
        PeerCase{"Ipv4", "192.0.2.1", "192.0.2.1", 1701, true},
        PeerCase{"Ipv4Port", "192.0.2.1:1", "192.0.2.1", 1, true},
        PeerCase{"Ipv4MaxPort", "192.0.2.1:65535", "192.0.2.1", 65535, true},
        PeerCase{"BareIpv6", "2001:db8::1", "2001:db8::1", 1701, true},
        PeerCase{"BracketedIpv6", "[2001:db8::1]", "2001:db8::1", 1701, true},
        PeerCase{"BracketedIpv6Port", "[2001:db8::1]:1702", "2001:db8::1", 1702, true},
        PeerCase{"HostName", "lns.example.com", "lns.example.com", 1701, false},
        PeerCase{"HostNamePort", "lns.example.com:1702", "lns.example.com", 1702, false},
        PeerCase{"SingleLabel", "localhost", "localhost", 1701, false},
        PeerCase{"TrailingDot", "lns.example.com.", "lns.example.com.", 1701, false},
        PeerCase{"DigitsAndHyphens", "1-2.example", "1-2.example", 1701, false},
        PeerCase{"LongestLabel", kLongLabel + ".example", kLongLabel + ".example", 1701, false},
        PeerCase{"LongestName", kLongestName, kLongestName, 1701, false}),
    [](const auto& test_info) { return test_info.param.name; });

using TunnelBadCase = BadCase<TunnelBase>;
class TunnelRefusalTest : public ::testing::TestWithParam<TunnelBadCase> {};

TEST_P(TunnelRefusalTest, NamesTheKey) {
  const TunnelBadCase& bad = GetParam();
  ASSERT_TRUE(parse(base_map(bad.base)).has_value());
  const auto result = parse(changed(base_map(bad.base), bad.change));
  ASSERT_FALSE(result.has_value()) << bad.name;
  expect_refusal(result.error(), bad.error_key, bad.message_part);
}

using enum TunnelBase;

INSTANTIATE_TEST_SUITE_P(
    Mode, TunnelRefusalTest,
    ::testing::Values(
        TunnelBadCase{
            "Capitalised", kDynamicV2, {"Mode", s("Dynamic")}, "Mode", "expected dynamic"},
        TunnelBadCase{"Empty", kDynamicV2, {"Mode", s("")}, "Mode", "expected"},
        TunnelBadCase{"Unknown", kDynamicV2, {"Mode", s("passive")}, "Mode", "expected"},
        TunnelBadCase{
            "StaticNeedsV3", kQuiescentV2, {"Mode", s("static")}, "Mode", "static needs Version 3"},
        TunnelBadCase{
            "StaticWithV2", kStaticV3, {"Version", u(2)}, "Mode", "static needs Version 3"}),
    case_name<TunnelBase>);

INSTANTIATE_TEST_SUITE_P(
    VersionAndEncapsulation, TunnelRefusalTest,
    ::testing::Values(
        TunnelBadCase{"VersionZero", kDynamicV2, {"Version", u(0)}, "Version", "expected 2 or 3"},
        TunnelBadCase{"VersionOne", kDynamicV2, {"Version", u(1)}, "Version", "expected 2 or 3"},
        TunnelBadCase{"VersionFour", kDynamicV2, {"Version", u(4)}, "Version", "expected 2 or 3"},
        TunnelBadCase{"VersionHuge", kDynamicV2, {"Version", u(258)}, "Version", "expected 2 or 3"},
        TunnelBadCase{"IpNeedsV3",
                      kDynamicV2,
                      {"Encapsulation", s("ip")},
                      "Encapsulation",
                      "ip needs Version 3"},
        TunnelBadCase{"IpWithV2", kIpV3, {"Version", u(2)}, "Encapsulation", "ip needs Version 3"},
        TunnelBadCase{"EncapsulationUpper",
                      kDynamicV3,
                      {"Encapsulation", s("UDP")},
                      "Encapsulation",
                      "expected udp or ip"},
        TunnelBadCase{"EncapsulationEmpty",
                      kDynamicV3,
                      {"Encapsulation", s("")},
                      "Encapsulation",
                      "expected udp or ip"},
        TunnelBadCase{"EncapsulationL2tpip",
                      kDynamicV3,
                      {"Encapsulation", s("l2tpip")},
                      "Encapsulation",
                      "expected udp or ip"}),
    case_name<TunnelBase>);

INSTANTIATE_TEST_SUITE_P(
    Peer, TunnelRefusalTest,
    ::testing::Values(
        TunnelBadCase{"Missing", kDynamicV2, removed("Peer"), "Peer", "required"},
        TunnelBadCase{"Empty", kDynamicV2, {"Peer", s("")}, "Peer", "expected host"},
        TunnelBadCase{"PortZero", kDynamicV2, {"Peer", s("192.0.2.1:0")}, "Peer", "port 1..65535"},
        TunnelBadCase{
            "PortTooBig", kDynamicV2, {"Peer", s("192.0.2.1:65536")}, "Peer", "port 1..65535"},
        TunnelBadCase{"PortHuge",
                      kDynamicV2,
                      {"Peer", s("192.0.2.1:99999999999999999999")},
                      "Peer",
                      "port 1..65535"},
        TunnelBadCase{"PortNegative", kDynamicV2, {"Peer", s("192.0.2.1:-1")}, "Peer", "port"},
        TunnelBadCase{"PortPlus", kDynamicV2, {"Peer", s("192.0.2.1:+1701")}, "Peer", "port"},
        TunnelBadCase{"PortHex", kDynamicV2, {"Peer", s("192.0.2.1:0x6a5")}, "Peer", "port"},
        TunnelBadCase{"PortEmpty", kDynamicV2, {"Peer", s("192.0.2.1:")}, "Peer", "port"},
        TunnelBadCase{"PortSpace", kDynamicV2, {"Peer", s("192.0.2.1: 1701")}, "Peer", "port"},
        TunnelBadCase{"HostNamePortZero", kDynamicV2, {"Peer", s("lns.example:0")}, "Peer", "port"},
        TunnelBadCase{"OnlyPort", kDynamicV2, {"Peer", s(":1701")}, "Peer", "expected host"},
        TunnelBadCase{
            "UnclosedBracket", kDynamicV2, {"Peer", s("[2001:db8::1")}, "Peer", "expected host"},
        TunnelBadCase{
            "JunkAfterBracket", kDynamicV2, {"Peer", s("[2001:db8::1]x")}, "Peer", "expected host"},
        TunnelBadCase{"EmptyBrackets", kDynamicV2, {"Peer", s("[]:1701")}, "Peer", "expected host"},
        TunnelBadCase{"Ipv4InBrackets",
                      kDynamicV2,
                      {"Peer", s("[192.0.2.1]:1701")},
                      "Peer",
                      "malformed IPv6"},
        TunnelBadCase{"NameInBrackets",
                      kDynamicV2,
                      {"Peer", s("[lns.example]:1701")},
                      "Peer",
                      "malformed IPv6"},
        TunnelBadCase{
            "BadBareIpv6", kDynamicV2, {"Peer", s("2001:db8::zz")}, "Peer", "malformed IPv6"},
        TunnelBadCase{"Ipv6PortWithoutBrackets",
                      kDynamicV2,
                      {"Peer", s("2001:db8::1:1701:x")},
                      "Peer",
                      "malformed IPv6"},
        TunnelBadCase{"Space", kDynamicV2, {"Peer", s("lns example")}, "Peer", "host name"},
        TunnelBadCase{"Underscore", kDynamicV2, {"Peer", s("lns_1.example")}, "Peer", "host name"},
        TunnelBadCase{
            "LeadingHyphen", kDynamicV2, {"Peer", s("-lns.example")}, "Peer", "host name"},
        TunnelBadCase{
            "TrailingHyphen", kDynamicV2, {"Peer", s("lns-.example")}, "Peer", "host name"},
        TunnelBadCase{"EmptyLabel", kDynamicV2, {"Peer", s("lns..example")}, "Peer", "host name"},
        TunnelBadCase{"LeadingDot", kDynamicV2, {"Peer", s(".example")}, "Peer", "host name"},
        TunnelBadCase{"OnlyDot", kDynamicV2, {"Peer", s(".")}, "Peer", "host name"},
        TunnelBadCase{"LabelTooLong",
                      kDynamicV2,
                      {"Peer", s(std::string(64, 'a') + ".example")},
                      "Peer",
                      "host name"},
        TunnelBadCase{
            "NameTooLong", kDynamicV2, {"Peer", s(kLongestName + "c")}, "Peer", "host name"},
        TunnelBadCase{
            "HugeName", kDynamicV2, {"Peer", s(std::string(100000, 'a'))}, "Peer", "host name"},
        TunnelBadCase{"MistypedIpv4", kDynamicV2, {"Peer", s("192.0.2.256")}, "Peer", "host name"},
        TunnelBadCase{"ShortIpv4", kDynamicV2, {"Peer", s("192.0.2")}, "Peer", "host name"},
        TunnelBadCase{"NumericLastLabel", kDynamicV2, {"Peer", s("lns.1")}, "Peer", "host name"},
        TunnelBadCase{
            "NonAsciiName", kDynamicV2, {"Peer", s("zürich.example")}, "Peer", "host name"},
        TunnelBadCase{"Slash", kDynamicV2, {"Peer", s("192.0.2.0/24")}, "Peer", "host name"},
        TunnelBadCase{"PortWithIp",
                      kIpV3,
                      {"Peer", s("192.0.2.1:1701")},
                      "Peer",
                      "no port with Encapsulation ip"},
        TunnelBadCase{"Ipv6PortWithIp",
                      kIpV3,
                      {"Peer", s("[2001:db8::1]:1701")},
                      "Peer",
                      "no port with Encapsulation ip"}),
    case_name<TunnelBase>);

INSTANTIATE_TEST_SUITE_P(
    Local, TunnelRefusalTest,
    ::testing::Values(
        TunnelBadCase{"Empty", kDynamicV2, {"Local", s("")}, "Local", "numeric address"},
        TunnelBadCase{
            "HostName", kDynamicV2, {"Local", s("lac.example")}, "Local", "numeric address"},
        TunnelBadCase{
            "Localhost", kDynamicV2, {"Local", s("localhost:1701")}, "Local", "numeric address"},
        TunnelBadCase{
            "PortZero", kDynamicV2, {"Local", s("192.0.2.2:0")}, "Local", "port 1..65535"},
        TunnelBadCase{
            "PortTooBig", kDynamicV2, {"Local", s("192.0.2.2:70000")}, "Local", "port 1..65535"},
        TunnelBadCase{"Ipv6ForIpv4Peer",
                      kDynamicV2,
                      {"Local", s("[2001:db8::2]:1701")},
                      "Local",
                      "address family differs"},
        TunnelBadCase{"Ipv4ForIpv6Peer",
                      kSixV2,
                      {"Local", s("192.0.2.2")},
                      "Local",
                      "address family differs"},
        TunnelBadCase{"PortWithIp",
                      kIpV3,
                      {"Local", s("192.0.2.2:1701")},
                      "Local",
                      "no port with Encapsulation ip"},
        TunnelBadCase{
            "Malformed", kDynamicV2, {"Local", s("192.0.2.2.3")}, "Local", "numeric address"}),
    case_name<TunnelBase>);

INSTANTIATE_TEST_SUITE_P(
    Ids, TunnelRefusalTest,
    ::testing::Values(
        TunnelBadCase{"ZeroV2", kDynamicV2, {"TunnelId", u(0)}, "TunnelId", "expected 1..65535"},
        TunnelBadCase{
            "TooBigV2", kDynamicV2, {"TunnelId", u(65536)}, "TunnelId", "expected 1..65535"},
        TunnelBadCase{
            "ZeroV3", kDynamicV3, {"TunnelId", u(0)}, "TunnelId", "expected 1..4294967295"},
        TunnelBadCase{"RequiredForStatic", kStaticV3, removed("TunnelId"), "TunnelId",
                      "required for static and quiescent"},
        TunnelBadCase{"RequiredForQuiescent", kQuiescentV2, removed("TunnelId"), "TunnelId",
                      "required for static and quiescent"},
        TunnelBadCase{"PeerRequiredForStatic", kStaticV3, removed("PeerTunnelId"), "PeerTunnelId",
                      "required for static and quiescent"},
        TunnelBadCase{"PeerRequiredForQuiescent", kQuiescentV2, removed("PeerTunnelId"),
                      "PeerTunnelId", "required for static and quiescent"},
        TunnelBadCase{"PeerRefusedForDynamic",
                      kDynamicV2,
                      {"PeerTunnelId", u(20)},
                      "PeerTunnelId",
                      "only for static and quiescent"},
        TunnelBadCase{"PeerZero",
                      kStaticV3,
                      {"PeerTunnelId", u(0)},
                      "PeerTunnelId",
                      "expected 1..4294967295"},
        TunnelBadCase{"PeerTooBigV2",
                      kQuiescentV2,
                      {"PeerTunnelId", u(65536)},
                      "PeerTunnelId",
                      "expected 1..65535"}),
    case_name<TunnelBase>);

INSTANTIATE_TEST_SUITE_P(
    Control, TunnelRefusalTest,
    ::testing::Values(
        TunnelBadCase{"HostNameEmpty", kDynamicV2, {"HostName", s("")}, "HostName", "empty"},
        TunnelBadCase{"HostNameTooLong",
                      kDynamicV2,
                      {"HostName", s(std::string(256, 'h'))},
                      "HostName",
                      "at most 255 bytes"},
        TunnelBadCase{"HostNameHuge",
                      kDynamicV2,
                      {"HostName", s(std::string(1 << 20, 'h'))},
                      "HostName",
                      "at most 255 bytes"},
        TunnelBadCase{"SecretEmpty", kDynamicV2, {"Secret", ay({})}, "Secret", "empty"},
        TunnelBadCase{"SecretTooLong",
                      kDynamicV2,
                      {"Secret", ay_of_size(256)},
                      "Secret",
                      "at most 255 bytes"},
        TunnelBadCase{
            "HideAvpsWithoutSecret", kDynamicV2, {"HideAvps", b(true)}, "HideAvps", "needs Secret"},
        TunnelBadCase{"HelloTooLong",
                      kDynamicV2,
                      {"HelloInterval", u(3601)},
                      "HelloInterval",
                      "expected 0..3600"},
        TunnelBadCase{"RetransmitTooShort",
                      kDynamicV2,
                      {"RetransmitTimeout", u(99)},
                      "RetransmitTimeout",
                      "expected 100..60000"},
        TunnelBadCase{"RetransmitZero",
                      kDynamicV2,
                      {"RetransmitTimeout", u(0)},
                      "RetransmitTimeout",
                      "expected 100..60000"},
        TunnelBadCase{"RetransmitTooLong",
                      kDynamicV2,
                      {"RetransmitTimeout", u(60001)},
                      "RetransmitTimeout",
                      "expected 100..60000"},
        TunnelBadCase{"CapBelowFirstTimeout",
                      kDynamicV2,
                      {"MaxRetransmitTimeout", u(999)},
                      "MaxRetransmitTimeout",
                      "at least RetransmitTimeout (1000 ms)"},
        TunnelBadCase{"CapTooLong",
                      kDynamicV2,
                      {"MaxRetransmitTimeout", u(300001)},
                      "MaxRetransmitTimeout",
                      "expected 1000..300000"},
        TunnelBadCase{"CapMax",
                      kDynamicV2,
                      {"MaxRetransmitTimeout", u(4294967295u)},
                      "MaxRetransmitTimeout",
                      "expected 1000..300000"},
        TunnelBadCase{"NoRetransmits",
                      kDynamicV2,
                      {"MaxRetransmits", u(0)},
                      "MaxRetransmits",
                      "expected 1..64"},
        TunnelBadCase{"TooManyRetransmits",
                      kDynamicV2,
                      {"MaxRetransmits", u(65)},
                      "MaxRetransmits",
                      "expected 1..64"},
        TunnelBadCase{"WindowZero",
                      kDynamicV2,
                      {"ReceiveWindow", u(0)},
                      "ReceiveWindow",
                      "expected 1..65535"},
        TunnelBadCase{"WindowTooBig",
                      kDynamicV2,
                      {"ReceiveWindow", u(65536)},
                      "ReceiveWindow",
                      "expected 1..65535"}),
    case_name<TunnelBase>);

TEST(TunnelOptionsTest, LongerFirstTimeoutRaisesTheDefaultCap) {
  const auto result =
      parse(changed(base_map(TunnelBase::kDynamicV2), {"RetransmitTimeout", u(10000)}));
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->config.control.channel.retransmit_timeout, milliseconds(10000));
  EXPECT_EQ(result->config.control.channel.max_retransmit_timeout, milliseconds(10000));
}

TEST(TunnelOptionsTest, CapBelowAGivenFirstTimeoutIsRefused) {
  OptionMap options = base_map(TunnelBase::kDynamicV2);
  options["RetransmitTimeout"] = u(5000);
  options["MaxRetransmitTimeout"] = u(4000);
  const auto result = parse(options);
  ASSERT_FALSE(result.has_value());
  expect_refusal(result.error(), "MaxRetransmitTimeout", "at least RetransmitTimeout (5000 ms)");
}

TEST(TunnelOptionsTest, SecretIsBinaryAndUpTo255Bytes) {
  std::vector<std::uint8_t> secret(255);
  for (std::size_t i = 0; i < secret.size(); ++i) secret[i] = static_cast<std::uint8_t>(i);
  OptionMap options = base_map(TunnelBase::kDynamicV2);
  options["Secret"] = ay(secret);
  options["HideAvps"] = b(true);
  const auto result = parse(options);
  ASSERT_TRUE(result.has_value()) << result.error().to_string();
  EXPECT_EQ(result->config.control.secret, secret);
  EXPECT_TRUE(result->config.control.hide_avps);
}

TEST(TunnelOptionsTest, HostNameUpTo255BytesOfAnyPrintableText) {
  for (const std::string& name : {std::string(255, 'h'), std::string("LAC #1 \"north\""),
                                  std::string("h"), std::string("日本")}) {
    const auto result = parse(changed(base_map(TunnelBase::kDynamicV2), {"HostName", s(name)}));
    ASSERT_TRUE(result.has_value()) << result.error().to_string();
    EXPECT_EQ(result->config.control.host_name, name);
  }
}

TEST(TunnelOptionsTest, LocalForms) {
  auto result = parse(changed(base_map(TunnelBase::kDynamicV2), {"Local", s("192.0.2.2")}));
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->config.local, fsm::Endpoint::ipv4({192, 0, 2, 2}, 0));
  EXPECT_FALSE(result->local_port_given);

  result = parse(changed(base_map(TunnelBase::kSixV2), {"Local", s("[2001:db8::2]:1701")}));
  ASSERT_TRUE(result.has_value()) << result.error().to_string();
  EXPECT_EQ(result->config.local, *fsm::Endpoint::parse("[2001:db8::2]:1701", 0));
  EXPECT_TRUE(result->local_port_given);

  result = parse(changed(base_map(TunnelBase::kSixV2), {"Local", s("::")}));
  ASSERT_TRUE(result.has_value()) << result.error().to_string();
  EXPECT_TRUE(result->config.local.is_unspecified_address());

  // A host name peer resolves later; its family cannot be compared yet.
  OptionMap named = changed(base_map(TunnelBase::kDynamicV2), {"Peer", s("lns.example")});
  result = parse(changed(named, {"Local", s("[2001:db8::2]")}));
  ASSERT_TRUE(result.has_value()) << result.error().to_string();
  EXPECT_EQ(result->config.local.family, fsm::Endpoint::Family::kIpv6);
}

// Each bounded u key: both ends accepted, one past each end refused.
struct Bound {
  std::string key;
  TunnelBase base;
  std::uint32_t min;
  std::uint32_t max;
};

TEST(TunnelOptionsTest, BoundsAreInclusive) {
  const std::vector<Bound> bounds{
      {"TunnelId", kDynamicV2, 1, 65535},
      {"TunnelId", kDynamicV3, 1, 4294967295u},
      {"PeerTunnelId", kQuiescentV2, 1, 65535},
      {"PeerTunnelId", kStaticV3, 1, 4294967295u},
      {"HelloInterval", kDynamicV2, 0, 3600},
      {"RetransmitTimeout", kDynamicV2, 100, 60000},  // alone it raises the default cap
      {"MaxRetransmitTimeout", kDynamicV2, 1000, 300000},
      {"MaxRetransmits", kDynamicV2, 1, 64},
      {"ReceiveWindow", kDynamicV2, 1, 65535},
  };
  for (const Bound& bound : bounds) {
    const OptionMap base = base_map(bound.base);
    EXPECT_TRUE(parse(changed(base, {bound.key, u(bound.min)})).has_value()) << bound.key;
    EXPECT_TRUE(parse(changed(base, {bound.key, u(bound.max)})).has_value()) << bound.key;
    if (bound.min > 0) {
      const auto below = parse(changed(base, {bound.key, u(bound.min - 1)}));
      ASSERT_FALSE(below.has_value()) << bound.key;
      EXPECT_EQ(below.error().key, bound.key);
    }
    if (bound.max < 4294967295u) {
      const auto above = parse(changed(base, {bound.key, u(bound.max + 1)}));
      ASSERT_FALSE(above.has_value()) << bound.key;
      EXPECT_EQ(above.error().key, bound.key);
    }
  }
  OptionMap slow = base_map(kDynamicV2);
  slow["RetransmitTimeout"] = u(60000);
  slow["MaxRetransmitTimeout"] = u(60000);
  EXPECT_TRUE(parse(slow).has_value());
}

}  // namespace
}  // namespace l2tp::config
