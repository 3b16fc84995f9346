// Session options, judged against the tunnel's version and mode. Bounds (also
// in service/config/options.cpp):
// | key                         | accepted                                   |
// |-----------------------------|--------------------------------------------|
// | SessionId, PeerSessionId    | v2 1..65535, v3 1..4294967295              |
// | InterfaceName               | 1..15 of [A-Za-z0-9_.-], not "." or ".."   |
// | Cookie, PeerCookie          | 0, 4 or 8 bytes, v3 only                   |
// | ReorderTimeout              | 0..60000 ms                                |
// | Mtu                         | 68..65535                                  |
// | CallingNumber, CalledNumber | 1..64 bytes                                |
// | User                        | 1..255 bytes; no space or quote            |
// | Password                    | 0..255 bytes                               |
// | LcpEchoInterval             | 0..3600 s                                  |
// | LcpEchoFailure              | 0..100                                     |
#include <gtest/gtest.h>

#include "config/options.h"
#include "option_cases.h"

namespace l2tp::config {
namespace {

using namespace cases;  // NOLINT(google-build-using-namespace): the test vocabulary
using std::chrono::milliseconds;

enum class SessionBase {
  kPppDynamicV2,
  kPppDynamicV3,
  kEthDynamicV3,
  kPppStaticV3,
  kPppQuiescentV2,
  kPppPapChap
};

struct Tunnel {
  wire::ProtocolVersion version;
  fsm::TunnelMode mode;
};

Tunnel tunnel_of(SessionBase base) {
  switch (base) {
    case SessionBase::kPppDynamicV2:
    case SessionBase::kPppPapChap:
      return {wire::ProtocolVersion::kV2, fsm::TunnelMode::kDynamic};
    case SessionBase::kPppDynamicV3:
    case SessionBase::kEthDynamicV3:
      return {wire::ProtocolVersion::kV3, fsm::TunnelMode::kDynamic};
    case SessionBase::kPppStaticV3:
      return {wire::ProtocolVersion::kV3, fsm::TunnelMode::kStatic};
    case SessionBase::kPppQuiescentV2:
      return {wire::ProtocolVersion::kV2, fsm::TunnelMode::kQuiescent};
  }
  return {wire::ProtocolVersion::kV2, fsm::TunnelMode::kDynamic};
}

OptionMap base_map(SessionBase base) {
  switch (base) {
    case SessionBase::kPppDynamicV2:
    case SessionBase::kPppDynamicV3:
      return {};
    case SessionBase::kEthDynamicV3:
      return {{"Pseudowire", s("eth")}};
    case SessionBase::kPppStaticV3:
    case SessionBase::kPppQuiescentV2:
      return {{"SessionId", u(1)}, {"PeerSessionId", u(2)}};
    case SessionBase::kPppPapChap:
      return {{"Authentication", as({"pap", "chap"})}};
  }
  return {};
}

std::expected<fsm::SessionConfig, OptionError> parse(SessionBase base, const OptionMap& options) {
  const Tunnel tunnel = tunnel_of(base);
  return parse_session_options(options, tunnel.version, tunnel.mode);
}

std::expected<fsm::SessionConfig, OptionError> parse_v3(const OptionMap& options) {
  return parse_session_options(options, wire::ProtocolVersion::kV3, fsm::TunnelMode::kDynamic);
}

TEST(SessionOptionsTest, PppDefaultsFollowTheContract) {
  const auto result = parse(SessionBase::kPppDynamicV2, {});
  ASSERT_TRUE(result.has_value()) << result.error().to_string();
  const fsm::SessionConfig& config = *result;
  EXPECT_EQ(config.pseudowire, fsm::Pseudowire::kPpp);
  EXPECT_EQ(config.session_id, 0u);
  EXPECT_EQ(config.peer_session_id, 0u);
  EXPECT_TRUE(config.interface_name.empty());
  EXPECT_TRUE(config.cookie.empty());
  EXPECT_TRUE(config.peer_cookie.empty());
  EXPECT_EQ(config.l2_specific_sublayer, fsm::L2SpecificSublayer::kNone);
  EXPECT_EQ(config.sequencing, fsm::Sequencing::kNone);
  EXPECT_EQ(config.reorder_timeout, milliseconds(0));
  EXPECT_EQ(config.mtu, 1400u);
  EXPECT_TRUE(config.calling_number.empty());
  EXPECT_TRUE(config.called_number.empty());
  EXPECT_TRUE(config.ppp.user.empty());
  EXPECT_TRUE(config.ppp.password.empty());
  EXPECT_EQ(config.ppp.authentication, (std::vector<std::string>{"pap", "chap", "mschap-v2"}));
  EXPECT_EQ(config.ppp.mppe, fsm::Mppe::kOff);
  EXPECT_FALSE(config.ppp.use_peer_dns);
  EXPECT_FALSE(config.ppp.ipv6);
  EXPECT_EQ(config.ppp.lcp_echo_interval, 30u);
  EXPECT_EQ(config.ppp.lcp_echo_failure, 4u);
  EXPECT_FALSE(config.ppp.default_route);
}

TEST(SessionOptionsTest, EthDefaultsFollowTheContract) {
  const auto result = parse(SessionBase::kEthDynamicV3, base_map(SessionBase::kEthDynamicV3));
  ASSERT_TRUE(result.has_value()) << result.error().to_string();
  EXPECT_EQ(result->pseudowire, fsm::Pseudowire::kEth);
  EXPECT_EQ(result->l2_specific_sublayer, fsm::L2SpecificSublayer::kDefault);
  EXPECT_EQ(result->mtu, 0u);  // the kernel's
}

TEST(SessionOptionsTest, EveryPppKeyIsApplied) {
  const OptionMap options{
      {"SessionId", u(4294967295u)},
      {"PeerSessionId", u(1)},
      {"InterfaceName", s("l2tp-ppp_0.1234")},
      {"Cookie", ay({1, 2, 3, 4})},
      {"PeerCookie", ay({1, 2, 3, 4, 5, 6, 7, 8})},
      {"L2SpecificSublayer", s("default")},
      {"Sequencing", s("both")},
      {"ReorderTimeout", u(60000)},
      {"Mtu", u(68)},
      {"CallingNumber", s("+49 30 1234")},
      {"CalledNumber", s(std::string(64, '9'))},
      {"User", s("jürgen@example.com")},
      {"Password", s("p a\"s's\\ #;")},
      {"Authentication", as({"eap", "mschap"})},
      {"Mppe", s("required-128")},
      {"UsePeerDns", b(true)},
      {"Ipv6", b(true)},
      {"LcpEchoInterval", u(0)},
      {"LcpEchoFailure", u(100)},
      {"DefaultRoute", b(true)},
  };
  const auto result =
      parse_session_options(options, wire::ProtocolVersion::kV3, fsm::TunnelMode::kQuiescent);
  ASSERT_TRUE(result.has_value()) << result.error().to_string();
  const fsm::SessionConfig& config = *result;
  EXPECT_EQ(config.session_id, 4294967295u);
  EXPECT_EQ(config.peer_session_id, 1u);
  EXPECT_EQ(config.interface_name, "l2tp-ppp_0.1234");
  EXPECT_EQ(config.cookie, (wire::Bytes{1, 2, 3, 4}));
  EXPECT_EQ(config.peer_cookie, (wire::Bytes{1, 2, 3, 4, 5, 6, 7, 8}));
  EXPECT_EQ(config.l2_specific_sublayer, fsm::L2SpecificSublayer::kDefault);
  EXPECT_EQ(config.sequencing, fsm::Sequencing::kBoth);
  EXPECT_EQ(config.reorder_timeout, milliseconds(60000));
  EXPECT_EQ(config.mtu, 68u);
  EXPECT_EQ(config.calling_number, "+49 30 1234");
  EXPECT_EQ(config.called_number, std::string(64, '9'));
  EXPECT_EQ(config.ppp.user, "jürgen@example.com");
  EXPECT_EQ(config.ppp.password, "p a\"s's\\ #;");
  EXPECT_EQ(config.ppp.authentication, (std::vector<std::string>{"eap", "mschap"}));
  EXPECT_EQ(config.ppp.mppe, fsm::Mppe::kRequired128);
  EXPECT_TRUE(config.ppp.use_peer_dns);
  EXPECT_TRUE(config.ppp.ipv6);
  EXPECT_EQ(config.ppp.lcp_echo_interval, 0u);
  EXPECT_EQ(config.ppp.lcp_echo_failure, 100u);
  EXPECT_TRUE(config.ppp.default_route);
}

TEST(SessionOptionsTest, AWindowsDomainUserIsAccepted) {
  auto config = parse(SessionBase::kPppDynamicV2, {{"User", s("CORP\\alice")}});
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(config->ppp.user, "CORP\\alice");
}

TEST(SessionOptionsTest, EthKeysAreApplied) {
  const OptionMap options{{"Pseudowire", s("eth")},
                          {"L2SpecificSublayer", s("none")},
                          {"Mtu", u(65535)},
                          {"Cookie", ay({})},
                          {"Sequencing", s("send")}};
  const auto result = parse_v3(options);
  ASSERT_TRUE(result.has_value()) << result.error().to_string();
  EXPECT_EQ(result->l2_specific_sublayer, fsm::L2SpecificSublayer::kNone);
  EXPECT_EQ(result->mtu, 65535u);
  EXPECT_TRUE(result->cookie.empty());
  EXPECT_EQ(result->sequencing, fsm::Sequencing::kSend);
}

TEST(SessionOptionsTest, EveryChoiceIsAccepted) {
  for (const char* sequencing : {"none", "send", "recv", "both"}) {
    EXPECT_TRUE(parse_v3({{"Sequencing", s(sequencing)}}).has_value()) << sequencing;
  }
  for (const char* mppe : {"off", "optional", "required", "required-128"}) {
    EXPECT_TRUE(parse_v3({{"Mppe", s(mppe)}}).has_value()) << mppe;
  }
  for (const char* method : {"pap", "chap", "mschap", "mschap-v2", "eap"}) {
    EXPECT_TRUE(parse_v3({{"Authentication", as({method})}}).has_value()) << method;
  }
  // MPPE keys come from MS-CHAP: either version will do.
  EXPECT_TRUE(parse_v3({{"Mppe", s("required")}, {"Authentication", as({"mschap"})}}).has_value());
  EXPECT_TRUE(
      parse_v3({{"Mppe", s("optional")}, {"Authentication", as({"mschap-v2"})}}).has_value());
  EXPECT_TRUE(parse_v3({{"Password", s("")}}).has_value());
}

TEST(SessionOptionsTest, AllBasesAreGood) {
  for (auto base :
       {SessionBase::kPppDynamicV2, SessionBase::kPppDynamicV3, SessionBase::kEthDynamicV3,
        SessionBase::kPppStaticV3, SessionBase::kPppQuiescentV2, SessionBase::kPppPapChap}) {
    const auto result = parse(base, base_map(base));
    EXPECT_TRUE(result.has_value()) << static_cast<int>(base) << ": " << result.error().to_string();
  }
}

using SessionBadCase = BadCase<SessionBase>;
class SessionRefusalTest : public ::testing::TestWithParam<SessionBadCase> {};

TEST_P(SessionRefusalTest, NamesTheKey) {
  const SessionBadCase& bad = GetParam();
  ASSERT_TRUE(parse(bad.base, base_map(bad.base)).has_value());
  const auto result = parse(bad.base, changed(base_map(bad.base), bad.change));
  ASSERT_FALSE(result.has_value()) << bad.name;
  expect_refusal(result.error(), bad.error_key, bad.message_part);
}

using enum SessionBase;

INSTANTIATE_TEST_SUITE_P(
    PseudowireAndIds, SessionRefusalTest,
    ::testing::Values(
        SessionBadCase{"EthNeedsV3",
                       kPppDynamicV2,
                       {"Pseudowire", s("eth")},
                       "Pseudowire",
                       "eth needs an L2TPv3 tunnel"},
        SessionBadCase{"PseudowireUpper",
                       kPppDynamicV2,
                       {"Pseudowire", s("PPP")},
                       "Pseudowire",
                       "expected ppp or eth"},
        SessionBadCase{"PseudowireEmpty",
                       kPppDynamicV2,
                       {"Pseudowire", s("")},
                       "Pseudowire",
                       "expected ppp or eth"},
        SessionBadCase{"PseudowireVlan",
                       kPppDynamicV3,
                       {"Pseudowire", s("eth-vlan")},
                       "Pseudowire",
                       "expected ppp or eth"},
        SessionBadCase{
            "SessionIdZero", kPppDynamicV2, {"SessionId", u(0)}, "SessionId", "expected 1..65535"},
        SessionBadCase{"SessionIdTooBigV2",
                       kPppDynamicV2,
                       {"SessionId", u(65536)},
                       "SessionId",
                       "expected 1..65535"},
        SessionBadCase{"SessionIdZeroV3",
                       kPppDynamicV3,
                       {"SessionId", u(0)},
                       "SessionId",
                       "expected 1..4294967295"},
        SessionBadCase{"SessionIdRequiredStatic", kPppStaticV3, removed("SessionId"), "SessionId",
                       "required for static and quiescent"},
        SessionBadCase{"SessionIdRequiredQuiescent", kPppQuiescentV2, removed("SessionId"),
                       "SessionId", "required for static and quiescent"},
        SessionBadCase{"PeerSessionIdRequiredStatic", kPppStaticV3, removed("PeerSessionId"),
                       "PeerSessionId", "required for static and quiescent"},
        SessionBadCase{"PeerSessionIdRequiredQuiescent", kPppQuiescentV2, removed("PeerSessionId"),
                       "PeerSessionId", "required for static and quiescent"},
        SessionBadCase{"PeerSessionIdRefusedDynamic",
                       kPppDynamicV2,
                       {"PeerSessionId", u(2)},
                       "PeerSessionId",
                       "only for static and quiescent"},
        SessionBadCase{"PeerSessionIdTooBigV2",
                       kPppQuiescentV2,
                       {"PeerSessionId", u(65536)},
                       "PeerSessionId",
                       "expected 1..65535"}),
    case_name<SessionBase>);

INSTANTIATE_TEST_SUITE_P(
    InterfaceName, SessionRefusalTest,
    ::testing::Values(
        SessionBadCase{"Empty", kPppDynamicV2, {"InterfaceName", s("")}, "InterfaceName", "1..15"},
        SessionBadCase{"Sixteen",
                       kPppDynamicV2,
                       {"InterfaceName", s("abcdefghijklmnop")},
                       "InterfaceName",
                       "1..15"},
        SessionBadCase{"Huge",
                       kPppDynamicV2,
                       {"InterfaceName", s(std::string(70000, 'a'))},
                       "InterfaceName",
                       "1..15"},
        SessionBadCase{"Space",
                       kPppDynamicV2,
                       {"InterfaceName", s("ppp 0")},
                       "InterfaceName",
                       "letters, digits"},
        SessionBadCase{"Slash",
                       kPppDynamicV2,
                       {"InterfaceName", s("a/b")},
                       "InterfaceName",
                       "letters, digits"},
        SessionBadCase{"Colon",
                       kPppDynamicV2,
                       {"InterfaceName", s("eth0:1")},
                       "InterfaceName",
                       "letters, digits"},
        SessionBadCase{"NonAscii",
                       kPppDynamicV2,
                       {"InterfaceName", s("pppä")},
                       "InterfaceName",
                       "letters, digits"},
        SessionBadCase{"Percent",
                       kPppDynamicV2,
                       {"InterfaceName", s("ppp%d")},
                       "InterfaceName",
                       "letters, digits"},
        SessionBadCase{
            "Dot", kPppDynamicV2, {"InterfaceName", s(".")}, "InterfaceName", "not be . or .."},
        SessionBadCase{"DotDot",
                       kPppDynamicV2,
                       {"InterfaceName", s("..")},
                       "InterfaceName",
                       "not be . or .."}),
    case_name<SessionBase>);

INSTANTIATE_TEST_SUITE_P(
    DataPlane, SessionRefusalTest,
    ::testing::Values(
        SessionBadCase{
            "CookieOnV2", kPppDynamicV2, {"Cookie", ay({1, 2, 3, 4})}, "Cookie", "only for L2TPv3"},
        SessionBadCase{
            "EmptyCookieOnV2", kPppDynamicV2, {"Cookie", ay({})}, "Cookie", "only for L2TPv3"},
        SessionBadCase{"PeerCookieOnV2",
                       kPppDynamicV2,
                       {"PeerCookie", ay({1, 2, 3, 4})},
                       "PeerCookie",
                       "only for L2TPv3"},
        SessionBadCase{
            "CookieOneByte", kPppDynamicV3, {"Cookie", ay_of_size(1)}, "Cookie", "0, 4 or 8 bytes"},
        SessionBadCase{
            "CookieThree", kPppDynamicV3, {"Cookie", ay_of_size(3)}, "Cookie", "0, 4 or 8 bytes"},
        SessionBadCase{
            "CookieFive", kPppDynamicV3, {"Cookie", ay_of_size(5)}, "Cookie", "0, 4 or 8 bytes"},
        SessionBadCase{
            "CookieNine", kPppDynamicV3, {"Cookie", ay_of_size(9)}, "Cookie", "0, 4 or 8 bytes"},
        SessionBadCase{"CookieHuge",
                       kPppDynamicV3,
                       {"Cookie", ay_of_size(65536)},
                       "Cookie",
                       "0, 4 or 8 bytes"},
        SessionBadCase{"PeerCookieSixteen",
                       kEthDynamicV3,
                       {"PeerCookie", ay_of_size(16)},
                       "PeerCookie",
                       "0, 4 or 8 bytes"},
        SessionBadCase{"SublayerUpper",
                       kEthDynamicV3,
                       {"L2SpecificSublayer", s("Default")},
                       "L2SpecificSublayer",
                       "expected none or default"},
        SessionBadCase{"SublayerAtm",
                       kEthDynamicV3,
                       {"L2SpecificSublayer", s("atm")},
                       "L2SpecificSublayer",
                       "expected none or default"},
        SessionBadCase{"SublayerDefaultOnV2",
                       kPppDynamicV2,
                       {"L2SpecificSublayer", s("default")},
                       "L2SpecificSublayer",
                       "needs an L2TPv3 tunnel"},
        SessionBadCase{"SequencingYes",
                       kPppDynamicV2,
                       {"Sequencing", s("yes")},
                       "Sequencing",
                       "expected none, send, recv or both"},
        SessionBadCase{"ReorderTooLong",
                       kPppDynamicV2,
                       {"ReorderTimeout", u(60001)},
                       "ReorderTimeout",
                       "expected 0..60000"},
        SessionBadCase{"MtuZero", kPppDynamicV2, {"Mtu", u(0)}, "Mtu", "expected 68..65535"},
        SessionBadCase{"MtuZeroEth", kEthDynamicV3, {"Mtu", u(0)}, "Mtu", "expected 68..65535"},
        SessionBadCase{"MtuTooSmall", kPppDynamicV2, {"Mtu", u(67)}, "Mtu", "expected 68..65535"},
        SessionBadCase{"MtuTooBig", kPppDynamicV2, {"Mtu", u(65536)}, "Mtu", "expected 68..65535"},
        SessionBadCase{
            "CallingEmpty", kPppDynamicV2, {"CallingNumber", s("")}, "CallingNumber", "empty"},
        SessionBadCase{"CallingTooLong",
                       kPppDynamicV2,
                       {"CallingNumber", s(std::string(65, '1'))},
                       "CallingNumber",
                       "at most 64 bytes"},
        SessionBadCase{
            "CalledEmpty", kPppDynamicV2, {"CalledNumber", s("")}, "CalledNumber", "empty"},
        SessionBadCase{"CalledTooLong",
                       kEthDynamicV3,
                       {"CalledNumber", s(std::string(65, '1'))},
                       "CalledNumber",
                       "at most 64 bytes"}),
    case_name<SessionBase>);

INSTANTIATE_TEST_SUITE_P(
    Ppp, SessionRefusalTest,
    ::testing::Values(SessionBadCase{"UserEmpty", kPppDynamicV2, {"User", s("")}, "User", "empty"},
                      SessionBadCase{"UserTooLong",
                                     kPppDynamicV2,
                                     {"User", s(std::string(256, 'u'))},
                                     "User",
                                     "at most 255 bytes"},
                      SessionBadCase{"UserSpace",
                                     kPppDynamicV2,
                                     {"User", s("alice plugin")},
                                     "User",
                                     "spaces or quotes"},
                      SessionBadCase{"UserDoubleQuote",
                                     kPppDynamicV2,
                                     {"User", s("alice\"")},
                                     "User",
                                     "spaces or quotes"},
                      SessionBadCase{"UserSingleQuote",
                                     kPppDynamicV2,
                                     {"User", s("o'neil")},
                                     "User",
                                     "spaces or quotes"},
                      SessionBadCase{"UserNewline",
                                     kPppDynamicV2,
                                     {"User", s("alice\nplugin x.so")},
                                     "User",
                                     "control characters"},
                      SessionBadCase{"PasswordTooLong",
                                     kPppDynamicV2,
                                     {"Password", s(std::string(256, 'p'))},
                                     "Password",
                                     "at most 255 bytes"},
                      SessionBadCase{"PasswordNewline",
                                     kPppDynamicV2,
                                     {"Password", s("x\nplugin evil.so")},
                                     "Password",
                                     "control characters"},
                      SessionBadCase{"AuthenticationEmpty",
                                     kPppDynamicV2,
                                     {"Authentication", as({})},
                                     "Authentication",
                                     "at least one method"},
                      SessionBadCase{"AuthenticationTwice",
                                     kPppDynamicV2,
                                     {"Authentication", as({"pap", "chap", "pap"})},
                                     "Authentication",
                                     "names pap twice"},
                      SessionBadCase{"AuthenticationUpper",
                                     kPppDynamicV2,
                                     {"Authentication", as({"PAP"})},
                                     "Authentication",
                                     "unknown method PAP;"},
                      SessionBadCase{"AuthenticationNone",
                                     kPppDynamicV2,
                                     {"Authentication", as({"none"})},
                                     "Authentication",
                                     "unknown method"},
                      SessionBadCase{"AuthenticationEmptyName",
                                     kPppDynamicV2,
                                     {"Authentication", as({"pap", ""})},
                                     "Authentication",
                                     "unknown method"},
                      SessionBadCase{"AuthenticationMschapV1Spelling",
                                     kPppDynamicV2,
                                     {"Authentication", as({"mschapv2"})},
                                     "Authentication",
                                     "unknown method"},
                      SessionBadCase{"MppeYes",
                                     kPppDynamicV2,
                                     {"Mppe", s("yes")},
                                     "Mppe",
                                     "expected off, optional, required or required-128"},
                      SessionBadCase{"MppeWithoutMschap",
                                     kPppPapChap,
                                     {"Mppe", s("required")},
                                     "Mppe",
                                     "needs mschap or mschap-v2"},
                      SessionBadCase{"OptionalMppeWithoutMschap",
                                     kPppPapChap,
                                     {"Mppe", s("optional")},
                                     "Mppe",
                                     "needs mschap or mschap-v2"},
                      SessionBadCase{"LcpEchoIntervalTooLong",
                                     kPppDynamicV2,
                                     {"LcpEchoInterval", u(3601)},
                                     "LcpEchoInterval",
                                     "expected 0..3600"},
                      SessionBadCase{"LcpEchoFailureTooMany",
                                     kPppDynamicV2,
                                     {"LcpEchoFailure", u(101)},
                                     "LcpEchoFailure",
                                     "expected 0..100"}),
    case_name<SessionBase>);

// Found by fuzz-options (the same echo in Pseudowires): the reply carried the
// whole unknown name, however long.
INSTANTIATE_TEST_SUITE_P(EchoedNames, SessionRefusalTest,
                         ::testing::Values(SessionBadCase{
                             "AuthenticationHugeName",
                             kPppDynamicV2,
                             {"Authentication", as({"pap", std::string(100000, 'm')})},
                             "Authentication",
                             "unknown method \"" + std::string(64, 'm') + "...\" (100000 bytes);"}),
                         case_name<SessionBase>);

// Keys that only pppd understands are refused for eth sessions, each by name.
INSTANTIATE_TEST_SUITE_P(
    PppKeysOnEth, SessionRefusalTest,
    ::testing::Values(
        SessionBadCase{"User", kEthDynamicV3, {"User", s("alice")}, "User", "only for ppp"},
        SessionBadCase{"Password", kEthDynamicV3, {"Password", s("x")}, "Password", "only for ppp"},
        SessionBadCase{"Authentication",
                       kEthDynamicV3,
                       {"Authentication", as({"pap"})},
                       "Authentication",
                       "only for ppp"},
        SessionBadCase{"Mppe", kEthDynamicV3, {"Mppe", s("off")}, "Mppe", "only for ppp"},
        SessionBadCase{
            "UsePeerDns", kEthDynamicV3, {"UsePeerDns", b(true)}, "UsePeerDns", "only for ppp"},
        SessionBadCase{"Ipv6", kEthDynamicV3, {"Ipv6", b(false)}, "Ipv6", "only for ppp"},
        SessionBadCase{"LcpEchoInterval",
                       kEthDynamicV3,
                       {"LcpEchoInterval", u(30)},
                       "LcpEchoInterval",
                       "only for ppp"},
        SessionBadCase{"LcpEchoFailure",
                       kEthDynamicV3,
                       {"LcpEchoFailure", u(4)},
                       "LcpEchoFailure",
                       "only for ppp"},
        SessionBadCase{"DefaultRoute",
                       kEthDynamicV3,
                       {"DefaultRoute", b(false)},
                       "DefaultRoute",
                       "only for ppp"}),
    case_name<SessionBase>);

TEST(SessionOptionsTest, BoundsAreInclusive) {
  struct Bound {
    std::string key;
    SessionBase base;
    std::uint32_t min;
    std::uint32_t max;
  };
  const std::vector<Bound> bounds{
      {"SessionId", kPppDynamicV2, 1, 65535},
      {"SessionId", kPppDynamicV3, 1, 4294967295u},
      {"PeerSessionId", kPppQuiescentV2, 1, 65535},
      {"PeerSessionId", kPppStaticV3, 1, 4294967295u},
      {"ReorderTimeout", kPppDynamicV2, 0, 60000},
      {"Mtu", kPppDynamicV2, 68, 65535},
      {"Mtu", kEthDynamicV3, 68, 65535},
      {"LcpEchoInterval", kPppDynamicV2, 0, 3600},
      {"LcpEchoFailure", kPppDynamicV2, 0, 100},
  };
  for (const Bound& bound : bounds) {
    const OptionMap base = base_map(bound.base);
    EXPECT_TRUE(parse(bound.base, changed(base, {bound.key, u(bound.min)})).has_value())
        << bound.key;
    EXPECT_TRUE(parse(bound.base, changed(base, {bound.key, u(bound.max)})).has_value())
        << bound.key;
    if (bound.min > 0) {
      const auto below = parse(bound.base, changed(base, {bound.key, u(bound.min - 1)}));
      ASSERT_FALSE(below.has_value()) << bound.key;
      EXPECT_EQ(below.error().key, bound.key);
    }
    if (bound.max < 4294967295u) {
      const auto above = parse(bound.base, changed(base, {bound.key, u(bound.max + 1)}));
      ASSERT_FALSE(above.has_value()) << bound.key;
      EXPECT_EQ(above.error().key, bound.key);
    }
  }
  // Length bounds of the strings, at their edges.
  EXPECT_TRUE(parse_v3({{"InterfaceName", s(std::string(15, 'i'))}}).has_value());
  EXPECT_TRUE(parse_v3({{"InterfaceName", s("a")}}).has_value());
  EXPECT_TRUE(parse_v3({{"User", s(std::string(255, 'u'))}}).has_value());
  EXPECT_TRUE(parse_v3({{"Password", s(std::string(255, 'p'))}}).has_value());
  EXPECT_TRUE(parse_v3({{"CallingNumber", s(std::string(64, '1'))}}).has_value());
  EXPECT_TRUE(parse_v3({{"Cookie", ay_of_size(8)}, {"PeerCookie", ay_of_size(4)}}).has_value());
}

}  // namespace
}  // namespace l2tp::config
