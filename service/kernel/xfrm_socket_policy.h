// Per-socket IPsec policies (IP_XFRM_POLICY / IPV6_XFRM_POLICY): a socket
// that requires ESP in transport mode for what it receives, so that the
// kernel itself drops L2TP datagrams that did not arrive under an SA.
// The policy is built as bytes apart from the setsockopt that applies it, and
// tested from those bytes.
#pragma once

#include <cstdint>
#include <expected>
#include <vector>

#include "core/endpoint.h"

namespace l2tp::kernel {

enum class PolicyDirection : std::uint8_t { kIn = 0, kOut = 1 };  // XFRM_POLICY_IN/OUT

// struct xfrm_userpolicy_info followed by one struct xfrm_user_tmpl: allow,
// through ESP in transport mode with any SA (reqid 0) and any algorithm.
std::vector<std::uint8_t> esp_transport_policy(Endpoint::Family family, PolicyDirection direction);

// The inbound policy on `fd`; the error is errno (EPERM without
// CAP_NET_ADMIN, ENOPROTOOPT or EINVAL where the kernel lacks xfrm).
//
// Inbound only: the kernel matches an outbound template to an SA by reqid,
// and charon gives each SA its own, so an outbound socket policy could use
// none of them (sends would wait on an acquire forever). What we send is
// protected by the outbound policy charon installs with each SA, and we
// answer no peer whose datagrams the inbound policy dropped.
std::expected<void, int> require_esp(int fd, Endpoint::Family family);

}  // namespace l2tp::kernel
