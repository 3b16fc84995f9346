// Listener options. Bounds (also in service/config/options.cpp):
// | key               | accepted                                                    |
// |-------------------|-------------------------------------------------------------|
// | Local             | numeric; port 1..65535 (none with ip); default 0.0.0.0:1701 |
// | control keys      | as for tunnels (HostName .. ReceiveWindow)                  |
// | Pseudowires       | non-empty set of ppp, eth (eth needs Version 3)             |
// | PppLocalAddress   | IPv4 literal, not 0.0.0.0                                   |
// | PppAddressPool    | first-last IPv4, first <= last, <= 65536 addresses          |
// | PppDns            | 1..2 IPv4 literals (IPCP: primary and secondary)            |
// | MaxTunnels        | 1..1048576; default: the engine's (half the daemon's)       |
// | MaxTunnelsPerPeer | 1..1048576; default 64                                      |
// | MaxSessions       | 1..1048576; default: the engine's (half the daemon's)       |
// | MaxCallsPerSecond | 1..1000000; default 20                                      |
// Ppp* keys need ppp among the Pseudowires.
#include <gtest/gtest.h>

#include "config/options.h"
#include "option_cases.h"

namespace l2tp::config {
namespace {

using namespace cases;  // NOLINT(google-build-using-namespace): the test vocabulary
using std::chrono::milliseconds;

enum class ListenerBase { kV2, kV3, kIpV3, kEthOnlyV3, kWithLocalAddress };

OptionMap base_map(ListenerBase base) {
  switch (base) {
    case ListenerBase::kV2:
      return {};
    case ListenerBase::kV3:
      return {{"Version", u(3)}};
    case ListenerBase::kIpV3:
      return {{"Version", u(3)}, {"Encapsulation", s("ip")}};
    case ListenerBase::kEthOnlyV3:
      return {{"Version", u(3)}, {"Pseudowires", as({"eth"})}};
    case ListenerBase::kWithLocalAddress:
      return {{"PppLocalAddress", s("10.0.0.1")}};
  }
  return {};
}

std::expected<fsm::ListenerConfig, OptionError> parse(const OptionMap& options) {
  return parse_listener_options(options, Defaults{"lns.example"});
}

TEST(ListenerOptionsTest, DefaultsFollowTheContract) {
  const auto result = parse({});
  ASSERT_TRUE(result.has_value()) << result.error().to_string();
  EXPECT_EQ(result->local, fsm::Endpoint::ipv4({0, 0, 0, 0}, 1701));
  EXPECT_EQ(result->version, wire::ProtocolVersion::kV2);
  EXPECT_EQ(result->encapsulation, wire::Encapsulation::kUdp);
  EXPECT_EQ(result->control.host_name, "lns.example");
  EXPECT_TRUE(result->control.secret.empty());
  EXPECT_EQ(result->control.channel.hello_interval, milliseconds(60000));
  EXPECT_EQ(result->control.channel.receive_window, 16);
  EXPECT_EQ(result->pseudowires, (std::vector<fsm::Pseudowire>{fsm::Pseudowire::kPpp}));
  EXPECT_TRUE(result->ppp.local_address.empty());
  EXPECT_TRUE(result->ppp.address_pool.empty());
  EXPECT_TRUE(result->ppp.dns.empty());
  EXPECT_TRUE(result->ppp.require_authentication);
  EXPECT_FALSE(result->max_tunnels.has_value());
  EXPECT_EQ(result->max_tunnels_per_peer, 64u);
  EXPECT_FALSE(result->max_sessions.has_value());
  EXPECT_EQ(result->max_calls_per_second, 20u);
}

TEST(ListenerOptionsTest, EveryKeyIsApplied) {
  const OptionMap options{
      {"Local", s("[2001:db8::1]:1702")},
      {"Version", u(3)},
      {"Encapsulation", s("udp")},
      {"HostName", s("lns-1")},
      {"Secret", ay({'s', 'e', 'c'})},
      {"HideAvps", b(true)},
      {"HelloInterval", u(10)},
      {"RetransmitTimeout", u(500)},
      {"MaxRetransmitTimeout", u(4000)},
      {"MaxRetransmits", u(8)},
      {"ReceiveWindow", u(4)},
      {"Pseudowires", as({"eth", "ppp"})},
      {"PppLocalAddress", s("10.0.0.1")},
      {"PppAddressPool", s("10.0.0.10-10.0.0.99")},
      {"PppDns", as({"192.0.2.53", "192.0.2.54"})},
      {"PppRequireAuthentication", b(false)},
      {"MaxTunnels", u(1048576)},
      {"MaxTunnelsPerPeer", u(1)},
      {"MaxSessions", u(1)},
      {"MaxCallsPerSecond", u(1000000)},
  };
  const auto result = parse(options);
  ASSERT_TRUE(result.has_value()) << result.error().to_string();
  EXPECT_EQ(result->local, *fsm::Endpoint::parse("[2001:db8::1]:1702", 0));
  EXPECT_EQ(result->version, wire::ProtocolVersion::kV3);
  EXPECT_EQ(result->control.host_name, "lns-1");
  EXPECT_EQ(result->control.secret, (wire::Bytes{'s', 'e', 'c'}));
  EXPECT_TRUE(result->control.hide_avps);
  EXPECT_EQ(result->control.channel.hello_interval, milliseconds(10000));
  EXPECT_EQ(result->control.channel.retransmit_timeout, milliseconds(500));
  EXPECT_EQ(result->control.channel.max_retransmit_timeout, milliseconds(4000));
  EXPECT_EQ(result->control.channel.max_retransmits, 8u);
  EXPECT_EQ(result->control.channel.receive_window, 4);
  EXPECT_EQ(result->pseudowires,
            (std::vector<fsm::Pseudowire>{fsm::Pseudowire::kEth, fsm::Pseudowire::kPpp}));
  EXPECT_EQ(result->ppp.local_address, "10.0.0.1");
  EXPECT_EQ(result->ppp.address_pool, "10.0.0.10-10.0.0.99");
  EXPECT_EQ(result->ppp.dns, (std::vector<std::string>{"192.0.2.53", "192.0.2.54"}));
  EXPECT_FALSE(result->ppp.require_authentication);
  EXPECT_EQ(result->max_tunnels, 1048576u);
  EXPECT_EQ(result->max_tunnels_per_peer, 1u);
  EXPECT_EQ(result->max_sessions, 1u);
  EXPECT_EQ(result->max_calls_per_second, 1000000u);
}

TEST(ListenerOptionsTest, LocalForms) {
  auto result = parse({{"Local", s("192.0.2.1")}});
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->local, fsm::Endpoint::ipv4({192, 0, 2, 1}, 1701));
  result = parse({{"Local", s("[::]:1701")}});
  ASSERT_TRUE(result.has_value());
  EXPECT_TRUE(result->local.is_unspecified_address());
  EXPECT_EQ(result->local.family, fsm::Endpoint::Family::kIpv6);
  result = parse(base_map(ListenerBase::kIpV3));
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->local, fsm::Endpoint::ipv4({0, 0, 0, 0}, 0));
  result = parse(changed(base_map(ListenerBase::kIpV3), {"Local", s("2001:db8::1")}));
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->local.port, 0);
}

TEST(ListenerOptionsTest, PoolOfExactly65536Addresses) {
  const auto result = parse({{"PppAddressPool", s("10.1.0.0-10.1.255.255")}});
  ASSERT_TRUE(result.has_value()) << result.error().to_string();
  EXPECT_TRUE(parse({{"PppAddressPool", s("10.1.0.5-10.1.0.5")}}).has_value());
  // A pool may sit next to the local address, just not around it.
  EXPECT_TRUE(parse(changed(base_map(ListenerBase::kWithLocalAddress),
                            {"PppAddressPool", s("10.0.0.2-10.0.0.9")}))
                  .has_value());
}

using ListenerBadCase = BadCase<ListenerBase>;
class ListenerRefusalTest : public ::testing::TestWithParam<ListenerBadCase> {};

TEST_P(ListenerRefusalTest, NamesTheKey) {
  const ListenerBadCase& bad = GetParam();
  ASSERT_TRUE(parse(base_map(bad.base)).has_value());
  const auto result = parse(changed(base_map(bad.base), bad.change));
  ASSERT_FALSE(result.has_value()) << bad.name;
  expect_refusal(result.error(), bad.error_key, bad.message_part);
}

using enum ListenerBase;

INSTANTIATE_TEST_SUITE_P(
    Basics, ListenerRefusalTest,
    ::testing::Values(
        ListenerBadCase{"LocalName", kV2, {"Local", s("lns.example")}, "Local", "numeric address"},
        ListenerBadCase{"LocalEmpty", kV2, {"Local", s("")}, "Local", "numeric address"},
        ListenerBadCase{"LocalPortZero", kV2, {"Local", s("0.0.0.0:0")}, "Local", "port 1..65535"},
        ListenerBadCase{"LocalPortWithIp",
                        kIpV3,
                        {"Local", s("0.0.0.0:1701")},
                        "Local",
                        "no port with Encapsulation ip"},
        ListenerBadCase{"VersionFour", kV2, {"Version", u(4)}, "Version", "expected 2 or 3"},
        ListenerBadCase{
            "IpNeedsV3", kV2, {"Encapsulation", s("ip")}, "Encapsulation", "ip needs Version 3"},
        ListenerBadCase{"EncapsulationUnknown",
                        kV3,
                        {"Encapsulation", s("tcp")},
                        "Encapsulation",
                        "expected udp or ip"}),
    case_name<ListenerBase>);

INSTANTIATE_TEST_SUITE_P(
    Control, ListenerRefusalTest,
    ::testing::Values(
        ListenerBadCase{"HostNameEmpty", kV2, {"HostName", s("")}, "HostName", "empty"},
        ListenerBadCase{"HostNameTooLong",
                        kV2,
                        {"HostName", s(std::string(256, 'h'))},
                        "HostName",
                        "at most 255 bytes"},
        ListenerBadCase{"SecretEmpty", kV2, {"Secret", ay({})}, "Secret", "empty"},
        ListenerBadCase{
            "SecretTooLong", kV2, {"Secret", ay_of_size(256)}, "Secret", "at most 255 bytes"},
        ListenerBadCase{
            "HideAvpsWithoutSecret", kV2, {"HideAvps", b(true)}, "HideAvps", "needs Secret"},
        ListenerBadCase{
            "HelloTooLong", kV2, {"HelloInterval", u(3601)}, "HelloInterval", "expected 0..3600"},
        ListenerBadCase{"RetransmitTooShort",
                        kV2,
                        {"RetransmitTimeout", u(99)},
                        "RetransmitTimeout",
                        "expected 100..60000"},
        ListenerBadCase{"CapBelowFirst",
                        kV2,
                        {"MaxRetransmitTimeout", u(100)},
                        "MaxRetransmitTimeout",
                        "at least RetransmitTimeout"},
        ListenerBadCase{"TooManyRetransmits",
                        kV2,
                        {"MaxRetransmits", u(65)},
                        "MaxRetransmits",
                        "expected 1..64"},
        ListenerBadCase{
            "WindowZero", kV2, {"ReceiveWindow", u(0)}, "ReceiveWindow", "expected 1..65535"}),
    case_name<ListenerBase>);

INSTANTIATE_TEST_SUITE_P(
    Limits, ListenerRefusalTest,
    ::testing::Values(
        ListenerBadCase{
            "MaxTunnelsZero", kV2, {"MaxTunnels", u(0)}, "MaxTunnels", "expected 1..1048576"},
        ListenerBadCase{"MaxTunnelsTooMany",
                        kV2,
                        {"MaxTunnels", u(1048577)},
                        "MaxTunnels",
                        "expected 1..1048576"},
        ListenerBadCase{"PerPeerZero",
                        kV2,
                        {"MaxTunnelsPerPeer", u(0)},
                        "MaxTunnelsPerPeer",
                        "expected 1..1048576"},
        ListenerBadCase{
            "MaxSessionsZero", kV2, {"MaxSessions", u(0)}, "MaxSessions", "expected 1..1048576"},
        ListenerBadCase{"CallRateZero",
                        kV2,
                        {"MaxCallsPerSecond", u(0)},
                        "MaxCallsPerSecond",
                        "expected 1..1000000"},
        ListenerBadCase{"CallRateTooHigh",
                        kV2,
                        {"MaxCallsPerSecond", u(1000001)},
                        "MaxCallsPerSecond",
                        "expected 1..1000000"},
        ListenerBadCase{
            "MaxTunnelsAsString", kV2, {"MaxTunnels", s("10")}, "MaxTunnels", "expected type u"}),
    case_name<ListenerBase>);

INSTANTIATE_TEST_SUITE_P(
    Pseudowires, ListenerRefusalTest,
    ::testing::Values(
        ListenerBadCase{"Empty", kV3, {"Pseudowires", as({})}, "Pseudowires", "at least one"},
        ListenerBadCase{"EthNeedsV3",
                        kV2,
                        {"Pseudowires", as({"ppp", "eth"})},
                        "Pseudowires",
                        "eth needs Version 3"},
        ListenerBadCase{
            "Twice", kV3, {"Pseudowires", as({"ppp", "ppp"})}, "Pseudowires", "names ppp twice"},
        ListenerBadCase{
            "Upper", kV3, {"Pseudowires", as({"PPP"})}, "Pseudowires", "unknown pseudowire PPP;"},
        ListenerBadCase{
            "EmptyName", kV3, {"Pseudowires", as({""})}, "Pseudowires", "unknown pseudowire \"\";"},
        // Found by fuzz-options: the reply echoed the whole name, however long.
        ListenerBadCase{"HugeName",
                        kV3,
                        {"Pseudowires", as({std::string(100000, 'p')})},
                        "Pseudowires",
                        "unknown pseudowire \"" + std::string(64, 'p') + "...\" (100000 bytes);"}),
    case_name<ListenerBase>);

INSTANTIATE_TEST_SUITE_P(
    Ppp, ListenerRefusalTest,
    ::testing::Values(
        ListenerBadCase{"LocalAddressPrefix",
                        kV2,
                        {"PppLocalAddress", s("10.0.0.1/24")},
                        "PppLocalAddress",
                        "expected an IPv4 address"},
        ListenerBadCase{"LocalAddressIpv6",
                        kV2,
                        {"PppLocalAddress", s("2001:db8::1")},
                        "PppLocalAddress",
                        "expected an IPv4 address"},
        ListenerBadCase{"LocalAddressName",
                        kV2,
                        {"PppLocalAddress", s("lns.example")},
                        "PppLocalAddress",
                        "expected an IPv4 address"},
        ListenerBadCase{"LocalAddressPort",
                        kV2,
                        {"PppLocalAddress", s("10.0.0.1:1")},
                        "PppLocalAddress",
                        "expected an IPv4 address"},
        ListenerBadCase{"LocalAddressOctet",
                        kV2,
                        {"PppLocalAddress", s("10.0.0.256")},
                        "PppLocalAddress",
                        "expected an IPv4 address"},
        ListenerBadCase{"LocalAddressUnspecified",
                        kV2,
                        {"PppLocalAddress", s("0.0.0.0")},
                        "PppLocalAddress",
                        "0.0.0.0"},
        ListenerBadCase{"LocalAddressOnEthOnly",
                        kEthOnlyV3,
                        {"PppLocalAddress", s("10.0.0.1")},
                        "PppLocalAddress",
                        "needs ppp in Pseudowires"},
        ListenerBadCase{
            "PoolSingle", kV2, {"PppAddressPool", s("10.0.0.10")}, "PppAddressPool", "first-last"},
        ListenerBadCase{"PoolReversed",
                        kV2,
                        {"PppAddressPool", s("10.0.0.20-10.0.0.10")},
                        "PppAddressPool",
                        "first address is after last"},
        ListenerBadCase{"PoolTooLarge",
                        kV2,
                        {"PppAddressPool", s("10.0.0.0-10.1.0.0")},
                        "PppAddressPool",
                        "at most 65536"},
        ListenerBadCase{"PoolEverything",
                        kV2,
                        {"PppAddressPool", s("0.0.0.0-255.255.255.255")},
                        "PppAddressPool",
                        "at most 65536"},
        ListenerBadCase{"PoolSpaces",
                        kV2,
                        {"PppAddressPool", s("10.0.0.1 - 10.0.0.9")},
                        "PppAddressPool",
                        "first-last"},
        ListenerBadCase{
            "PoolCidr", kV2, {"PppAddressPool", s("10.0.0.0/24")}, "PppAddressPool", "first-last"},
        ListenerBadCase{"PoolIpv6",
                        kV2,
                        {"PppAddressPool", s("2001:db8::1-2001:db8::9")},
                        "PppAddressPool",
                        "first-last"},
        ListenerBadCase{"PoolTwoDashes",
                        kV2,
                        {"PppAddressPool", s("10.0.0.1-10.0.0.5-10.0.0.9")},
                        "PppAddressPool",
                        "first-last"},
        ListenerBadCase{"PoolAroundLocal",
                        kWithLocalAddress,
                        {"PppAddressPool", s("10.0.0.1-10.0.0.9")},
                        "PppAddressPool",
                        "contains PppLocalAddress"},
        ListenerBadCase{"PoolOnEthOnly",
                        kEthOnlyV3,
                        {"PppAddressPool", s("10.0.0.1-10.0.0.9")},
                        "PppAddressPool",
                        "needs ppp in Pseudowires"},
        ListenerBadCase{"DnsEmpty", kV2, {"PppDns", as({})}, "PppDns", "empty"},
        ListenerBadCase{"DnsThree",
                        kV2,
                        {"PppDns", as({"192.0.2.1", "192.0.2.2", "192.0.2.3"})},
                        "PppDns",
                        "at most 2"},
        ListenerBadCase{
            "DnsIpv6", kV2, {"PppDns", as({"2001:db8::53"})}, "PppDns", "IPv4 addresses"},
        ListenerBadCase{
            "DnsName", kV2, {"PppDns", as({"dns.example"})}, "PppDns", "IPv4 addresses"},
        ListenerBadCase{"DnsEmptyElement", kV2, {"PppDns", as({""})}, "PppDns", "IPv4 addresses"},
        ListenerBadCase{"DnsOnEthOnly",
                        kEthOnlyV3,
                        {"PppDns", as({"192.0.2.53"})},
                        "PppDns",
                        "needs ppp in Pseudowires"},
        ListenerBadCase{"RequireAuthenticationOnEthOnly",
                        kEthOnlyV3,
                        {"PppRequireAuthentication", b(true)},
                        "PppRequireAuthentication",
                        "needs ppp in Pseudowires"}),
    case_name<ListenerBase>);

}  // namespace
}  // namespace l2tp::config
