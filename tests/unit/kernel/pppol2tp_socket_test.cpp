// The four PPPoL2TP address structures, byte for byte (packed, as
// <linux/if_pppox.h> declares them): sa_family u16, sa_protocol u32, then
// pid, fd, and the ids and peer address in the order of each structure.
#include "kernel/pppol2tp_socket.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

namespace l2tp::kernel {
namespace {

std::vector<std::uint8_t> hex(const std::string& text) {
  std::vector<std::uint8_t> out;
  std::string digits;
  for (char c : text)
    if (std::isxdigit(static_cast<unsigned char>(c))) digits += c;
  for (std::size_t i = 0; i + 1 < digits.size(); i += 2)
    out.push_back(static_cast<std::uint8_t>(std::stoul(digits.substr(i, 2), nullptr, 16)));
  return out;
}

std::vector<std::uint8_t> address_bytes(const PppSocketParams& params) {
  sockaddr_storage storage;
  const socklen_t length = pppol2tp_address(params, storage);
  const auto* begin = reinterpret_cast<const std::uint8_t*>(&storage);
  return {begin, begin + length};
}

PppSocketParams params(wire::ProtocolVersion version, Endpoint peer) {
  PppSocketParams p;
  p.version = version;
  p.tunnel_fd = 9;
  p.tunnel_id = 5;
  p.session_id = 0x0102;
  p.peer_tunnel_id = 7;
  p.peer_session_id = 0x0304;
  p.peer = peer;
  return p;
}

TEST(Pppol2tpSocketTest, L2tpv2Ipv4) {
  EXPECT_EQ(address_bytes(params(wire::ProtocolVersion::kV2, Endpoint::ipv4({192, 0, 2, 2}, 1701))),
            hex("1800 01000000"                        // AF_PPPOX, PX_PROTO_OL2TP
                "00000000 09000000"                    // pid 0, fd 9
                "0200 06a5 c0000202 0000000000000000"  // sockaddr_in, port big-endian
                "0500 0201 0700 0403"));               // s_tunnel s_session d_tunnel d_session
}

TEST(Pppol2tpSocketTest, L2tpv2Ipv6) {
  std::array<std::uint8_t, 16> a{0x20, 0x01, 0x0d, 0xb8};
  a[15] = 2;
  EXPECT_EQ(address_bytes(params(wire::ProtocolVersion::kV2, Endpoint::ipv6(a, 1701))),
            hex("1800 01000000 00000000 09000000"
                "0500 0201 0700 0403"
                "0a00 06a5 00000000 20010db8000000000000000000000002 00000000"));  // sockaddr_in6
}

TEST(Pppol2tpSocketTest, L2tpv3Ipv4HasWideIds) {
  EXPECT_EQ(address_bytes(params(wire::ProtocolVersion::kV3, Endpoint::ipv4({192, 0, 2, 2}, 0))),
            hex("1800 01000000 00000000 09000000"
                "0200 0000 c0000202 0000000000000000"
                "05000000 02010000 07000000 04030000"));
}

TEST(Pppol2tpSocketTest, L2tpv3Ipv6) {
  std::array<std::uint8_t, 16> a{0x20, 0x01, 0x0d, 0xb8};
  a[15] = 2;
  EXPECT_EQ(address_bytes(params(wire::ProtocolVersion::kV3, Endpoint::ipv6(a, 1701))),
            hex("1800 01000000 00000000 09000000"
                "05000000 02010000 07000000 04030000"
                "0a00 06a5 00000000 20010db8000000000000000000000002 00000000"));
}

}  // namespace
}  // namespace l2tp::kernel
