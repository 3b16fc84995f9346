#include "kernel/xfrm_socket_policy.h"

#include <linux/xfrm.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace l2tp::kernel {

std::vector<std::uint8_t> esp_transport_policy(Endpoint::Family family, PolicyDirection direction) {
  const std::uint16_t address_family = family == Endpoint::Family::kIpv6 ? AF_INET6 : AF_INET;
  xfrm_userpolicy_info policy{};
  policy.sel.family = address_family;
  policy.lft.soft_byte_limit = XFRM_INF;
  policy.lft.hard_byte_limit = XFRM_INF;
  policy.lft.soft_packet_limit = XFRM_INF;
  policy.lft.hard_packet_limit = XFRM_INF;
  policy.dir = static_cast<std::uint8_t>(direction);
  policy.action = XFRM_POLICY_ALLOW;
  policy.share = XFRM_SHARE_ANY;

  xfrm_user_tmpl tmpl{};
  tmpl.id.proto = IPPROTO_ESP;
  tmpl.family = address_family;
  tmpl.mode = XFRM_MODE_TRANSPORT;
  tmpl.share = XFRM_SHARE_ANY;
  tmpl.optional = 0;  // required: no SA, no passage
  tmpl.aalgos = ~0U;
  tmpl.ealgos = ~0U;
  tmpl.calgos = ~0U;

  std::vector<std::uint8_t> bytes(sizeof policy + sizeof tmpl);
  std::memcpy(bytes.data(), &policy, sizeof policy);
  std::memcpy(bytes.data() + sizeof policy, &tmpl, sizeof tmpl);
  return bytes;
}

std::expected<void, int> require_esp(int fd, Endpoint::Family family) {
  const bool v6 = family == Endpoint::Family::kIpv6;
  const std::vector<std::uint8_t> policy = esp_transport_policy(family, PolicyDirection::kIn);
  if (setsockopt(fd, v6 ? IPPROTO_IPV6 : IPPROTO_IP, v6 ? IPV6_XFRM_POLICY : IP_XFRM_POLICY,
                 policy.data(), static_cast<socklen_t>(policy.size())) != 0) {
    return std::unexpected(errno);
  }
  return {};
}

}  // namespace l2tp::kernel
