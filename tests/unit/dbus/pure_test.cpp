// The parts of the bus layer that need no bus: the error table, the a{sv}
// conversion, the authorization policy, property values and diffs.
#include <gtest/gtest.h>

#include "authz/authority.h"
#include "dbus/authorization.h"
#include "dbus/errors.h"
#include "dbus/option_dictionary.h"
#include "dbus/properties.h"

namespace l2tp::dbus {
namespace {

using daemon::FailureKind;

TEST(ErrorTable, EveryFailureKindHasItsName) {
  EXPECT_STREQ(error_name(FailureKind::kInvalidArgs), "org.freedesktop.DBus.Error.InvalidArgs");
  EXPECT_STREQ(error_name(FailureKind::kNotSupported), "org.l2tpbus1.Error.NotSupported");
  EXPECT_STREQ(error_name(FailureKind::kExists), "org.l2tpbus1.Error.Exists");
  EXPECT_STREQ(error_name(FailureKind::kLimitExceeded), "org.l2tpbus1.Error.LimitExceeded");
  EXPECT_STREQ(error_name(FailureKind::kNotFound), "org.freedesktop.DBus.Error.UnknownObject");
  EXPECT_STREQ(error_name(FailureKind::kFailed), "org.l2tpbus1.Error.Failed");
}

TEST(ErrorTable, KeepsTheMessage) {
  const sdbus::Error error =
      to_dbus_error({FailureKind::kLimitExceeded, "uid 1000 has 16 tunnels already"});
  EXPECT_EQ(error.getName(), kErrorLimitExceeded);
  EXPECT_EQ(error.getMessage(), "uid 1000 has 16 tunnels already");
}

TEST(ErrorTable, Verdicts) {
  EXPECT_EQ(authorization_error({authz::Decision::kDenied, ""}).getName(), kErrorAccessDenied);
  EXPECT_EQ(authorization_error({authz::Decision::kInteractionRequired, ""}).getName(),
            kErrorInteractiveAuthorizationRequired);
  const sdbus::Error failure = authorization_error({authz::Decision::kFailed, "polkit timed out"});
  EXPECT_EQ(failure.getName(), kErrorFailed);
  EXPECT_NE(failure.getMessage().find("polkit timed out"), std::string::npos);
}

TEST(OptionDictionary, ConvertsEveryVocabularyType) {
  const OptionDictionary options = {
      {"Peer", sdbus::Variant(std::string("192.0.2.1"))},
      {"Version", sdbus::Variant(std::uint32_t{3})},
      {"HideAvps", sdbus::Variant(true)},
      {"Secret", sdbus::Variant(std::vector<std::uint8_t>{1, 2, 3})},
  };
  const auto map = to_option_map(config::ObjectKind::kTunnel, options);
  ASSERT_TRUE(map.has_value()) << map.error().to_string();
  EXPECT_EQ(std::get<std::string>(map->at("Peer")), "192.0.2.1");
  EXPECT_EQ(std::get<std::uint32_t>(map->at("Version")), 3u);
  EXPECT_TRUE(std::get<bool>(map->at("HideAvps")));
  EXPECT_EQ(std::get<std::vector<std::uint8_t>>(map->at("Secret")).size(), 3u);

  const auto listener =
      to_option_map(config::ObjectKind::kListener,
                    {{"PppDns", sdbus::Variant(std::vector<std::string>{"192.0.2.53"})}});
  ASSERT_TRUE(listener.has_value());
  EXPECT_EQ(std::get<std::vector<std::string>>(listener->at("PppDns")).size(), 1u);
}

TEST(OptionDictionary, RefusesUnknownKeysNamingThem) {
  const auto map =
      to_option_map(config::ObjectKind::kTunnel, {{"Bogus", sdbus::Variant(std::uint32_t{1})}});
  ASSERT_FALSE(map.has_value());
  EXPECT_EQ(map.error().to_string(), "Bogus: unknown option");
  // A session key is unknown on a tunnel.
  EXPECT_FALSE(to_option_map(config::ObjectKind::kTunnel,
                             {{"Pseudowire", sdbus::Variant(std::string("ppp"))}})
                   .has_value());
}

TEST(OptionDictionary, RefusesWrongTypesNamingTheExpectedOne) {
  auto map =
      to_option_map(config::ObjectKind::kTunnel, {{"Version", sdbus::Variant(std::string("3"))}});
  ASSERT_FALSE(map.has_value());
  EXPECT_EQ(map.error().to_string(), "Version: expected type u");
  // Close relatives are still wrong: i is not u, ay is not s.
  map = to_option_map(config::ObjectKind::kTunnel, {{"Version", sdbus::Variant(std::int32_t{3})}});
  ASSERT_FALSE(map.has_value());
  EXPECT_EQ(map.error().to_string(), "Version: expected type u");
  map = to_option_map(config::ObjectKind::kTunnel,
                      {{"Peer", sdbus::Variant(std::vector<std::uint8_t>{'a'})}});
  ASSERT_FALSE(map.has_value());
  EXPECT_EQ(map.error().to_string(), "Peer: expected type s");
}

TEST(AuthorizationPolicy, RootNeverAsks) {
  for (Operation operation :
       {Operation::kCreateTunnel, Operation::kListen, Operation::kCreateSession,
        Operation::kCloseTunnel, Operation::kCloseSession, Operation::kCloseListener,
        Operation::kReload, Operation::kConfigUp, Operation::kConfigDown}) {
    EXPECT_EQ(polkit_action(operation, 0, false), nullptr) << to_string(operation);
  }
}

TEST(AuthorizationPolicy, ActionsOfTheApi) {
  EXPECT_STREQ(polkit_action(Operation::kCreateTunnel, 1000, false), authz::kActionCreateTunnel);
  EXPECT_STREQ(polkit_action(Operation::kListen, 1000, false), authz::kActionListen);
  EXPECT_STREQ(polkit_action(Operation::kCloseListener, 1000, false), authz::kActionListen);
  EXPECT_STREQ(polkit_action(Operation::kCreateSession, 1000, true), authz::kActionCreateTunnel);
  EXPECT_STREQ(polkit_action(Operation::kCreateSession, 1000, false), authz::kActionManageTunnels);
  EXPECT_EQ(polkit_action(Operation::kCloseTunnel, 1000, true), nullptr);
  EXPECT_STREQ(polkit_action(Operation::kCloseTunnel, 1000, false), authz::kActionManageTunnels);
  EXPECT_EQ(polkit_action(Operation::kCloseSession, 1000, true), nullptr);
  EXPECT_STREQ(polkit_action(Operation::kCloseSession, 1000, false), authz::kActionManageTunnels);
  // The daemon's own files belong to no uid: ownership never spares the check.
  for (const Operation operation :
       {Operation::kReload, Operation::kConfigUp, Operation::kConfigDown}) {
    EXPECT_STREQ(polkit_action(operation, 1000, true), authz::kActionConfigure);
    EXPECT_STREQ(polkit_action(operation, 1000, false), authz::kActionConfigure);
  }
}

TEST(Properties, Paths) {
  EXPECT_EQ(tunnel_path(4711), "/org/l2tpbus1/tunnel/4711");
  EXPECT_EQ(session_path(4711, 17), "/org/l2tpbus1/tunnel/4711/session/17");
  EXPECT_EQ(listener_path(2), "/org/l2tpbus1/listener/2");
}

// The fallback vtables find objects by these: only the paths the functions
// above write name an object, so no other spelling reaches one.
TEST(Properties, PathsAreReadBackExactly) {
  EXPECT_EQ(tunnel_id_of(tunnel_path(4711)), 4711u);
  EXPECT_EQ(tunnel_id_of(tunnel_path(UINT32_MAX)), UINT32_MAX);
  EXPECT_EQ(session_ids_of(session_path(4711, 17)),
            (std::pair<std::uint32_t, std::uint32_t>{4711, 17}));
  EXPECT_EQ(listener_id_of(listener_path(2)), 2u);
  for (const char* other :
       {"/org/l2tpbus1/tunnel/", "/org/l2tpbus1/tunnel/04711", "/org/l2tpbus1/tunnel/4711/",
        "/org/l2tpbus1/tunnel/4294967296", "/org/l2tpbus1/tunnel/99999999999",
        "/org/l2tpbus1/tunnel/+1", "/org/l2tpbus1/tunnel/4711/session/17", "/org/l2tpbus1/tunnel",
        "/org/l2tpbus1/tunnelx/1", "/org/l2tpbus1/listener/2"}) {
    EXPECT_EQ(tunnel_id_of(other), std::nullopt) << other;
  }
  for (const char* other :
       {"/org/l2tpbus1/tunnel/4711/session/", "/org/l2tpbus1/tunnel/4711/session/017",
        "/org/l2tpbus1/tunnel/4711/session", "/org/l2tpbus1/tunnel/4711/session/17/x",
        "/org/l2tpbus1/tunnel/4711/sessions/17", "/org/l2tpbus1/tunnel/4711"}) {
    EXPECT_EQ(session_ids_of(other), std::nullopt) << other;
  }
  for (const char* other : {"/org/l2tpbus1/listener/", "/org/l2tpbus1/listener/0x2",
                            "/org/l2tpbus1/listener/2/", "/org/l2tpbus1/tunnel/2"}) {
    EXPECT_EQ(listener_id_of(other), std::nullopt) << other;
  }
}

TEST(Properties, BusStringsAreValidUtf8WithoutControls) {
  EXPECT_EQ(to_bus_string("lns.example.net"), "lns.example.net");
  EXPECT_EQ(to_bus_string("caf\xc3\xa9"), "caf\xc3\xa9");       // valid UTF-8 passes
  EXPECT_EQ(to_bus_string(std::string("a\0b", 3)), "a\\x00b");  // NUL
  EXPECT_EQ(to_bus_string("line\nforged"), "line\\x0aforged");  // control
  EXPECT_EQ(to_bus_string("\xff\xc3"), "\\xff\\xc3");           // invalid, truncated
  EXPECT_EQ(to_bus_string("\xed\xa0\x80"), "\\xed\\xa0\\x80");  // surrogate
  EXPECT_EQ(to_bus_string("\xc0\xaf"), "\\xc0\\xaf");           // overlong
  EXPECT_EQ(to_bus_string("back\\slash"), "back\\x5cslash");
}

TEST(Properties, Ip4ConfigIsEmptyUntilPppIsUp) {
  EXPECT_TRUE(ip4_config(std::nullopt).empty());
  // The network phase without addresses (the null data plane): still nothing.
  EXPECT_TRUE(ip4_config(fsm::PppAddresses{}).empty());
  fsm::PppAddresses addresses;
  addresses.local_address = "10.0.0.2";
  addresses.peer_address = "10.0.0.1";
  addresses.dns = {"10.0.0.53"};
  addresses.mtu = 1400;
  const auto config = ip4_config(addresses);
  ASSERT_EQ(config.size(), 5u);
  EXPECT_EQ(config.at("address").get<std::string>(), "10.0.0.2");
  EXPECT_EQ(config.at("peer").get<std::string>(), "10.0.0.1");
  EXPECT_EQ(config.at("prefix").get<std::uint32_t>(), 32u);
  EXPECT_EQ(config.at("dns").get<std::vector<std::string>>(),
            std::vector<std::string>{"10.0.0.53"});
  EXPECT_EQ(config.at("mtu").get<std::uint32_t>(), 1400u);
}

TEST(Properties, Ip6ConfigHoldsTheLinkLocalAddressesOfIpv6cp) {
  fsm::PppAddresses addresses;
  addresses.local_address = "10.0.0.2";
  addresses.mtu = 1400;
  EXPECT_TRUE(ip6_config(addresses).empty());  // IPCP only
  addresses.local_address6 = "fe80::123:4567:89ab:cdef";
  addresses.peer_address6 = "fe80::1";
  const auto config = ip6_config(addresses);
  ASSERT_EQ(config.size(), 4u);
  EXPECT_EQ(config.at("address").get<std::string>(), "fe80::123:4567:89ab:cdef");
  EXPECT_EQ(config.at("peer").get<std::string>(), "fe80::1");
  EXPECT_EQ(config.at("prefix").get<std::uint32_t>(), 64u);
  EXPECT_EQ(config.at("mtu").get<std::uint32_t>(), 1400u);
}

TEST(Properties, SessionDiffSeesIpv6cp) {
  daemon::SessionInfo before;
  before.view.ppp = fsm::PppAddresses{};
  before.view.ppp->local_address = "10.0.0.2";
  daemon::SessionInfo after = before;
  after.view.ppp->mtu = 1400;  // IPv4 only: Ip6Config stays empty
  EXPECT_EQ(changed_properties(before, after), std::vector<std::string>{"Ip4Config"});
  before = after;
  after.view.ppp->local_address6 = "fe80::2";
  after.view.ppp->peer_address6 = "fe80::1";
  EXPECT_EQ(changed_properties(before, after), std::vector<std::string>{"Ip6Config"});
}

TEST(Properties, Ip6NegotiationSaysWhatCameOfIpv6cp) {
  fsm::SessionView session;
  EXPECT_STREQ(ip6_negotiation(session), "pending");  // before the network phase
  session.ppp = fsm::PppAddresses{};
  EXPECT_STREQ(ip6_negotiation(session), "pending");  // IPCP first
  session.ppp->ip6_negotiation = l2tp::Ip6Negotiation::kUp;
  EXPECT_STREQ(ip6_negotiation(session), "up");
  session.ppp->ip6_negotiation = l2tp::Ip6Negotiation::kRefused;
  EXPECT_STREQ(ip6_negotiation(session), "refused");
  session.ppp->ip6_negotiation = l2tp::Ip6Negotiation::kOff;
  EXPECT_STREQ(ip6_negotiation(session), "off");
  fsm::SessionView ethernet;
  ethernet.pseudowire = fsm::Pseudowire::kEth;
  EXPECT_STREQ(ip6_negotiation(ethernet), "off");
}

TEST(Properties, SessionDiffSeesIpv6cpsOutcome) {
  daemon::SessionInfo before;
  before.view.ppp = fsm::PppAddresses{};
  before.view.ppp->local_address = "10.0.0.2";
  daemon::SessionInfo after = before;
  after.view.ppp->ip6_negotiation = l2tp::Ip6Negotiation::kRefused;
  EXPECT_EQ(changed_properties(before, after), std::vector<std::string>{"Ip6Negotiation"});
  after = before;
  after.view.ppp->ip6_negotiation = l2tp::Ip6Negotiation::kUp;
  after.view.ppp->local_address6 = "fe80::2";
  after.view.ppp->peer_address6 = "fe80::1";
  EXPECT_EQ(changed_properties(before, after),
            (std::vector<std::string>{"Ip6Config", "Ip6Negotiation"}));
}

TEST(Properties, TunnelDiffNamesOnlySignalledChanges) {
  daemon::TunnelInfo before;
  before.view.tunnel_id = 1;
  daemon::TunnelInfo after = before;
  EXPECT_TRUE(changed_properties(before, after).empty());
  after.view.state = fsm::ObjectState::kEstablished;
  after.view.peer_host_name = "lns";
  after.view.sessions = {5};   // read on Get, never signalled (Session.Tunnel instead)
  after.view.control_tx = 99;  // a statistic: read on Get, never signalled
  EXPECT_EQ(changed_properties(before, after), (std::vector<std::string>{"State", "PeerHostName"}));
}

TEST(Properties, SessionDiffSeesAddresses) {
  daemon::SessionInfo before;
  daemon::SessionInfo after = before;
  after.view.ppp = fsm::PppAddresses{};  // no address: Ip4Config stays empty
  EXPECT_TRUE(changed_properties(before, after).empty());
  after.view.ppp->local_address = "10.0.0.2";
  EXPECT_EQ(changed_properties(before, after), std::vector<std::string>{"Ip4Config"});
  before = after;
  after.view.ppp->dns = {"10.0.0.53"};
  after.view.last_result = {2, 6, "peer hung up"};
  EXPECT_EQ(changed_properties(before, after),
            (std::vector<std::string>{"LastResult", "Ip4Config"}));
}

}  // namespace
}  // namespace l2tp::dbus
