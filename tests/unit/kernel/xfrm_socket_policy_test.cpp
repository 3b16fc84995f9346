// The per-socket policy that makes a listener take only ESP-protected
// datagrams, read back from its bytes as the kernel's xfrm_compile_policy()
// reads them.
#include "kernel/xfrm_socket_policy.h"

#include <gtest/gtest.h>
#include <linux/xfrm.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>

namespace l2tp::kernel {
namespace {

struct Parsed {
  xfrm_userpolicy_info policy{};
  xfrm_user_tmpl tmpl{};
};

Parsed parse(const std::vector<std::uint8_t>& bytes) {
  Parsed parsed;
  EXPECT_EQ(bytes.size(), sizeof parsed.policy + sizeof parsed.tmpl);
  if (bytes.size() != sizeof parsed.policy + sizeof parsed.tmpl) return parsed;
  std::memcpy(&parsed.policy, bytes.data(), sizeof parsed.policy);
  std::memcpy(&parsed.tmpl, bytes.data() + sizeof parsed.policy, sizeof parsed.tmpl);
  return parsed;
}

TEST(XfrmSocketPolicyTest, RequiresEspInTransportModeFromAnySa) {
  const Parsed parsed = parse(esp_transport_policy(Endpoint::Family::kIpv4, PolicyDirection::kIn));
  EXPECT_EQ(parsed.policy.dir, XFRM_POLICY_IN);
  EXPECT_EQ(parsed.policy.action, XFRM_POLICY_ALLOW);
  EXPECT_EQ(parsed.policy.sel.family, AF_INET);
  EXPECT_EQ(parsed.policy.lft.hard_packet_limit, XFRM_INF);
  EXPECT_EQ(parsed.tmpl.id.proto, IPPROTO_ESP);
  EXPECT_EQ(parsed.tmpl.family, AF_INET);
  EXPECT_EQ(parsed.tmpl.mode, XFRM_MODE_TRANSPORT);
  EXPECT_EQ(parsed.tmpl.optional, 0);  // not "use": required
  EXPECT_EQ(parsed.tmpl.reqid, 0u);    // whichever SA charon negotiated
  EXPECT_EQ(parsed.tmpl.ealgos, ~0U);
  EXPECT_EQ(parsed.tmpl.aalgos, ~0U);
  EXPECT_EQ(parsed.tmpl.id.spi, 0u);
}

TEST(XfrmSocketPolicyTest, DirectionAndFamilyAreTheCallers) {
  const Parsed out = parse(esp_transport_policy(Endpoint::Family::kIpv6, PolicyDirection::kOut));
  EXPECT_EQ(out.policy.dir, XFRM_POLICY_OUT);
  EXPECT_EQ(out.policy.sel.family, AF_INET6);
  EXPECT_EQ(out.tmpl.family, AF_INET6);
}

TEST(XfrmSocketPolicyTest, ABadDescriptorIsReportedNotIgnored) {
  const auto applied = require_esp(-1, Endpoint::Family::kIpv4);
  ASSERT_FALSE(applied.has_value());
  EXPECT_EQ(applied.error(), EBADF);
}

}  // namespace
}  // namespace l2tp::kernel
