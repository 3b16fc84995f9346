// pppd's argv for each role and option, and what hostile strings become.
#include "ppp/ppp_arguments.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace l2tp::ppp {
namespace {

using Argv = std::vector<std::string>;

const PppPaths kPaths{"/usr/sbin/pppd", "pppol2tp.so", "/usr/lib/l2tpbus/l2tpbus-pppd.so"};
const ChildFds kFds{3, 4};

PppStartParams client_params() {
  PppStartParams params;
  params.session.tunnel_id = 4711;
  params.session.session_id = 17;
  params.role = PppRole::kClient;
  params.client.user = "alice";
  params.client.password = "s3cret";
  return params;
}

PppStartParams server_params() {
  PppStartParams params;
  params.session.tunnel_id = 9;
  params.session.session_id = 33;
  params.session.lns_mode = true;
  params.role = PppRole::kServer;
  params.server.local_address = "10.9.0.1";
  params.server.address_pool = "10.9.0.10-10.9.0.20";
  params.server.dns = {"192.0.2.53", "192.0.2.54"};
  return params;
}

Argv build(const PppStartParams& params, const std::string& peer = "") {
  auto argv = ppp_arguments(params, kPaths, kFds, peer);
  EXPECT_TRUE(argv.has_value()) << argv.error();
  return argv.value_or(Argv{});
}

bool has(const Argv& argv, const std::string& option) {
  return std::ranges::find(argv, option) != argv.end();
}

// The element after `option`, or "<absent>".
std::string value_of(const Argv& argv, const std::string& option) {
  auto it = std::ranges::find(argv, option);
  if (it == argv.end() || it + 1 == argv.end()) return "<absent>";
  return *(it + 1);
}

bool contains_subsequence(const Argv& argv, const Argv& part) {
  return std::ranges::search(argv, part).begin() != argv.end();
}

TEST(PppArgumentsTest, ClientDefaults) {
  const Argv argv = build(client_params());
  ASSERT_FALSE(argv.empty());
  EXPECT_EQ(argv[0], "/usr/sbin/pppd");
  EXPECT_TRUE(contains_subsequence(argv, {"plugin", "pppol2tp.so", "pppol2tp", "3"}));
  EXPECT_TRUE(contains_subsequence(
      argv, {"plugin", "/usr/lib/l2tpbus/l2tpbus-pppd.so", "l2tpbus-fd", "4", "l2tpbus-client"}));
  for (const char* option : {"nodetach", "nopersist", "noauth", "noipdefault", "nodefaultroute",
                             "noipv6", "noccp", "novj"}) {
    EXPECT_TRUE(has(argv, option)) << option;
  }
  // The peer's DNS servers are taken only when asked for (UsePeerDns).
  EXPECT_FALSE(has(argv, "usepeerdns"));
  EXPECT_EQ(value_of(argv, "user"), "alice");
  EXPECT_EQ(value_of(argv, "lcp-echo-interval"), "30");
  EXPECT_EQ(value_of(argv, "lcp-echo-failure"), "4");
  EXPECT_EQ(value_of(argv, "ipparam"), "4711/17");
  EXPECT_EQ(value_of(argv, "linkname"), "l2tpbus-4711-17");
  EXPECT_EQ(value_of(argv, "maxfail"), "1");
  EXPECT_EQ(value_of(argv, "lcp-restart"), "1");
  EXPECT_EQ(value_of(argv, "lcp-max-terminate"), "1");
  // The default methods are pap, chap and mschap-v2: the others are refused.
  EXPECT_TRUE(has(argv, "refuse-mschap"));
  EXPECT_TRUE(has(argv, "refuse-eap"));
  EXPECT_FALSE(has(argv, "refuse-pap"));
  EXPECT_FALSE(has(argv, "refuse-chap"));
  EXPECT_FALSE(has(argv, "refuse-mschap-v2"));
  // A client never runs as LNS and never asks the peer to authenticate.
  EXPECT_FALSE(has(argv, "pppol2tp_lns_mode"));
  EXPECT_FALSE(has(argv, "auth"));
  EXPECT_FALSE(has(argv, "mtu"));
  EXPECT_FALSE(has(argv, "ifname"));
}

TEST(PppArgumentsTest, ThePasswordIsNeverAnArgument) {
  auto params = client_params();
  params.client.password = "correct horse battery staple";
  for (const std::string& element : build(params)) {
    EXPECT_EQ(element.find("horse"), std::string::npos) << element;
  }
  EXPECT_FALSE(has(build(params), "password"));
}

struct ClientCase {
  const char* name;
  void (*apply)(PppStartParams&);
  Argv present;  // each element must appear, in this order, adjacent
  Argv absent;
};

std::string CaseName(const ::testing::TestParamInfo<ClientCase>& param_info) {
  return param_info.param.name;
}

class ClientOptionTest : public ::testing::TestWithParam<ClientCase> {};

TEST_P(ClientOptionTest, BecomesTheseArguments) {
  auto params = client_params();
  GetParam().apply(params);
  const Argv argv = build(params);
  if (!GetParam().present.empty()) {
    EXPECT_TRUE(contains_subsequence(argv, GetParam().present)) << ::testing::PrintToString(argv);
  }
  for (const std::string& option : GetParam().absent) EXPECT_FALSE(has(argv, option)) << option;
}

INSTANTIATE_TEST_SUITE_P(
    Options, ClientOptionTest,
    ::testing::Values(
        ClientCase{"no_user", [](auto& p) { p.client.user.clear(); }, {}, {"user"}},
        ClientCase{"only_chap",
                   [](auto& p) { p.client.authentication = {"chap"}; },
                   {"refuse-pap", "refuse-mschap", "refuse-mschap-v2", "refuse-eap"},
                   {"refuse-chap"}},
        ClientCase{
            "all_methods",
            [](auto& p) {
              p.client.authentication = {"pap", "chap", "mschap", "mschap-v2", "eap"};
            },
            {},
            {"refuse-pap", "refuse-chap", "refuse-mschap", "refuse-mschap-v2", "refuse-eap"}},
        ClientCase{"mppe_optional",
                   [](auto& p) { p.client.mppe = Mppe::kOptional; },
                   {},
                   {"noccp", "require-mppe", "require-mppe-128"}},
        ClientCase{"mppe_required",
                   [](auto& p) { p.client.mppe = Mppe::kRequired; },
                   {"require-mppe"},
                   {"noccp", "require-mppe-128"}},
        ClientCase{"mppe_required_128",
                   [](auto& p) { p.client.mppe = Mppe::kRequired128; },
                   {"require-mppe-128"},
                   {"noccp", "require-mppe"}},
        ClientCase{"peer_dns", [](auto& p) { p.client.use_peer_dns = true; }, {"usepeerdns"}, {}},
        ClientCase{"ipv6", [](auto& p) { p.client.ipv6 = true; }, {"+ipv6"}, {"noipv6"}},
        ClientCase{"default_route",
                   [](auto& p) { p.client.default_route = true; },
                   {"defaultroute"},
                   {"nodefaultroute"}},
        ClientCase{"lcp_echo",
                   [](auto& p) {
                     p.client.lcp_echo_interval = 0;
                     p.client.lcp_echo_failure = 9;
                   },
                   {"lcp-echo-interval", "0", "lcp-echo-failure", "9"},
                   {}},
        ClientCase{
            "mtu", [](auto& p) { p.session.mtu = 1400; }, {"mtu", "1400", "mru", "1400"}, {}},
        ClientCase{"interface_name",
                   [](auto& p) { p.session.interface_name = "l2tp-office"; },
                   {"ifname", "l2tp-office"},
                   {}},
        ClientCase{"sequencing_both",
                   [](auto& p) { p.session.sequencing = Sequencing::kBoth; },
                   {"pppol2tp_send_seq", "pppol2tp_recv_seq"},
                   {}},
        ClientCase{"sequencing_send",
                   [](auto& p) { p.session.sequencing = Sequencing::kSend; },
                   {"pppol2tp_send_seq"},
                   {"pppol2tp_recv_seq"}},
        ClientCase{"sequencing_recv",
                   [](auto& p) { p.session.sequencing = Sequencing::kRecv; },
                   {"pppol2tp_recv_seq"},
                   {"pppol2tp_send_seq"}},
        ClientCase{"reorder_timeout",
                   [](auto& p) { p.session.reorder_timeout = std::chrono::milliseconds(250); },
                   {"pppol2tp_reorderto", "250"},
                   {}},
        ClientCase{"no_reorder_timeout", [](auto&) {}, {}, {"pppol2tp_reorderto"}}),
    CaseName);

TEST(PppArgumentsTest, ServerWithPoolDnsAndAuthentication) {
  const Argv argv = build(server_params(), "10.9.0.10");
  EXPECT_TRUE(contains_subsequence(
      argv, {"pppol2tp_lns_mode", "pppol2tp_tunnel_id", "9", "pppol2tp_session_id", "33"}));
  EXPECT_TRUE(has(argv, "auth"));
  EXPECT_FALSE(has(argv, "noauth"));
  EXPECT_TRUE(has(argv, "10.9.0.1:10.9.0.10"));
  EXPECT_TRUE(contains_subsequence(argv, {"ms-dns", "192.0.2.53", "ms-dns", "192.0.2.54"}));
  EXPECT_TRUE(has(argv, "nodefaultroute"));
  EXPECT_TRUE(has(argv, "+ipv6"));  // for the peers that ask
  EXPECT_FALSE(has(argv, "noipv6"));
  EXPECT_TRUE(has(argv, "l2tpbus-fd"));
  // pppd's own secrets files check the peer; our plugin answers nothing.
  EXPECT_FALSE(has(argv, "l2tpbus-client"));
  EXPECT_FALSE(has(argv, "user"));
  EXPECT_FALSE(has(argv, "usepeerdns"));
  EXPECT_FALSE(has(argv, "noipdefault"));
}

TEST(PppArgumentsTest, ServerVariants) {
  auto open = server_params();
  open.server.require_authentication = false;
  EXPECT_TRUE(has(build(open, "10.9.0.11"), "noauth"));
  EXPECT_FALSE(has(build(open, "10.9.0.11"), "auth"));

  auto no_pool = server_params();
  no_pool.server.address_pool.clear();
  no_pool.server.dns.clear();
  const Argv local_only = build(no_pool);
  EXPECT_TRUE(has(local_only, "10.9.0.1:"));
  EXPECT_FALSE(has(local_only, "ms-dns"));

  auto nothing = no_pool;
  nothing.server.local_address.clear();
  for (const std::string& element : build(nothing)) {
    EXPECT_EQ(element.find(':'), std::string::npos) << element;
  }
}

TEST(PppArgumentsTest, HostileUserNamesStayOneArgumentOrAreRefused) {
  // A leading dash is a name, not an option: it follows `user` as its value.
  auto dash = client_params();
  dash.client.user = "-plugin";
  const Argv argv = build(dash);
  EXPECT_EQ(value_of(argv, "user"), "-plugin");
  EXPECT_EQ(std::ranges::count(argv, "-plugin"), 1);

  for (const char* user :
       {"alice\nplugin /tmp/evil.so", "alice bob", "alice\tbob", "a\rb", "bell\x07", "del\x7f"}) {
    auto params = client_params();
    params.client.user = user;
    EXPECT_FALSE(ppp_arguments(params, kPaths, kFds, "").has_value()) << user;
  }
  auto long_name = client_params();
  long_name.client.user = std::string(256, 'a');
  EXPECT_FALSE(ppp_arguments(long_name, kPaths, kFds, "").has_value());
  long_name.client.user = std::string(255, 'a');
  EXPECT_TRUE(ppp_arguments(long_name, kPaths, kFds, "").has_value());
}

TEST(PppArgumentsTest, HostileValuesElsewhereAreRefused) {
  auto refuse = [](const PppStartParams& params, const std::string& peer = "") {
    return !ppp_arguments(params, kPaths, kFds, peer).has_value();
  };
  for (const char* name :
       {"ppp0\nplugin", "with space", "../../etc", "..", "sixteen-chars-xx", "a/b"}) {
    auto params = client_params();
    params.session.interface_name = name;
    EXPECT_TRUE(refuse(params)) << name;
  }
  auto method = client_params();
  method.client.authentication = {"pap", "plugin"};
  EXPECT_TRUE(refuse(method));

  auto local = server_params();
  local.server.local_address = "10.0.0.1 plugin";
  EXPECT_TRUE(refuse(local, "10.9.0.10"));
  auto dns = server_params();
  dns.server.dns = {"-plugin"};
  EXPECT_TRUE(refuse(dns, "10.9.0.10"));
  EXPECT_TRUE(refuse(server_params(), "10.9.0.10:10.0.0.1"));

  // MPPE keys come from MS-CHAP: requiring MPPE without it cannot work.
  auto mppe = client_params();
  mppe.client.mppe = Mppe::kRequired;
  mppe.client.authentication = {"pap", "chap"};
  EXPECT_TRUE(refuse(mppe));

  PppPaths no_plugin = kPaths;
  no_plugin.report_plugin.clear();
  EXPECT_FALSE(ppp_arguments(client_params(), no_plugin, kFds, "").has_value());
}

}  // namespace
}  // namespace l2tp::ppp
