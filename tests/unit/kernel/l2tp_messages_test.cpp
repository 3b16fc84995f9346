// The "l2tp" generic netlink requests, byte for byte, and the parsing of the
// kernel's answers. Expected bytes are written out by hand from
// <linux/netlink.h>, <linux/genetlink.h> and <linux/l2tp.h> (little-endian
// host): nlmsghdr {len u32, type u16, flags u16, seq u32, pid u32}, genlmsghdr
// {cmd, version 1, reserved 0}, attributes {len u16, type u16, payload padded
// to 4}.
#include "kernel/l2tp_messages.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <string>

#include "kernel/l2tp_client.h"

namespace l2tp::kernel {
namespace {

constexpr std::uint16_t kFamily = 0x1c;

// "3c 00 | 1c" -> bytes; '|' and spaces separate nothing but the reader's eye.
NetlinkBytes hex(const std::string& text) {
  NetlinkBytes out;
  std::string digits;
  for (char c : text)
    if (std::isxdigit(static_cast<unsigned char>(c))) digits += c;
  for (std::size_t i = 0; i + 1 < digits.size(); i += 2)
    out.push_back(static_cast<std::uint8_t>(std::stoul(digits.substr(i, 2), nullptr, 16)));
  return out;
}

KernelTunnelParams tunnel_params() {
  KernelTunnelParams p;
  p.tunnel_id = 5;
  p.peer_tunnel_id = 7;
  return p;
}

TEST(L2tpMessagesTest, ManagedTunnelCreateNamesTheSocket) {
  auto params = tunnel_params();
  params.local = Endpoint::ipv4({192, 0, 2, 1}, 1701);  // ignored: the socket has them
  params.peer = Endpoint::ipv4({192, 0, 2, 2}, 1701);
  EXPECT_EQ(build_tunnel_create(kFamily, params, 9),
            hex("3c000000 1c00 0500 00000000 00000000"  // len 60, REQUEST|ACK
                "01 01 0000"                            // TUNNEL_CREATE, version 1
                "0800 0900 05000000"                    // CONN_ID 5
                "0800 0a00 07000000"                    // PEER_CONN_ID 7
                "0500 0700 02 000000"                   // PROTO_VERSION 2
                "0600 0200 0000 0000"                   // ENCAP_TYPE udp
                "0800 1700 09000000"));                 // FD 9
}

TEST(L2tpMessagesTest, StaticUdpIpv4TunnelCreateCarriesAddressesPortsAndChecksum) {
  auto params = tunnel_params();
  params.version = wire::ProtocolVersion::kV3;
  params.local = Endpoint::ipv4({192, 0, 2, 1}, 1701);
  params.peer = Endpoint::ipv4({192, 0, 2, 2}, 1702);
  params.managed = false;
  EXPECT_EQ(build_tunnel_create(kFamily, params, std::nullopt),
            hex("5c000000 1c00 0500 00000000 00000000"
                "01 01 0000"
                "0800 0900 05000000"
                "0800 0a00 07000000"
                "0500 0700 03 000000"     // PROTO_VERSION 3
                "0600 0200 0000 0000"     // udp
                "0800 1800 c0000201"      // IP_SADDR 192.0.2.1, network order
                "0800 1900 c0000202"      // IP_DADDR
                "0600 1a00 a506 0000"     // UDP_SPORT 1701, host order
                "0600 1b00 a606 0000"     // UDP_DPORT 1702
                "0500 0d00 01 000000"));  // UDP_CSUM on
  params.udp_checksum = false;
  const auto off = build_tunnel_create(kFamily, params, std::nullopt);
  EXPECT_EQ(NetlinkBytes(off.end() - 8, off.end()), hex("0500 0d00 00 000000"));
}

TEST(L2tpMessagesTest, StaticUdpIpv6TunnelWithoutChecksumsAsksForZeroChecksums) {
  auto params = tunnel_params();
  params.version = wire::ProtocolVersion::kV3;
  std::array<std::uint8_t, 16> a{0x20, 0x01, 0x0d, 0xb8};
  std::array<std::uint8_t, 16> b = a;
  a[15] = 1;
  b[15] = 2;
  params.local = Endpoint::ipv6(a, 1701);
  params.peer = Endpoint::ipv6(b, 1701);
  params.managed = false;
  params.udp_checksum = false;
  EXPECT_EQ(build_tunnel_create(kFamily, params, std::nullopt),
            hex("74000000 1c00 0500 00000000 00000000"
                "01 01 0000"
                "0800 0900 05000000"
                "0800 0a00 07000000"
                "0500 0700 03 000000"
                "0600 0200 0000 0000"
                "1400 1f00 20010db8 00000000 00000000 00000001"  // IP6_SADDR
                "1400 2000 20010db8 00000000 00000000 00000002"  // IP6_DADDR
                "0600 1a00 a506 0000"
                "0600 1b00 a506 0000"
                "0400 2100"     // UDP_ZERO_CSUM6_TX
                "0400 2200"));  // UDP_ZERO_CSUM6_RX
  params.udp_checksum = true;
  EXPECT_EQ(build_tunnel_create(kFamily, params, std::nullopt).size(), 0x74u - 8u);
}

TEST(L2tpMessagesTest, StaticIpTunnelHasNoPorts) {
  auto params = tunnel_params();
  params.version = wire::ProtocolVersion::kV3;
  params.encapsulation = wire::Encapsulation::kIp;
  params.local = Endpoint::ipv4({10, 0, 0, 1}, 0);
  params.peer = Endpoint::ipv4({10, 0, 0, 2}, 0);
  params.managed = false;
  EXPECT_EQ(build_tunnel_create(kFamily, params, std::nullopt),
            hex("44000000 1c00 0500 00000000 00000000"
                "01 01 0000"
                "0800 0900 05000000"
                "0800 0a00 07000000"
                "0500 0700 03 000000"
                "0600 0200 0100 0000"  // ENCAP_TYPE ip
                "0800 1800 0a000001"
                "0800 1900 0a000002"));
}

TEST(L2tpMessagesTest, EthernetSessionCreateCarriesEveryAttribute) {
  KernelSessionParams p;
  p.tunnel_id = 5;
  p.session_id = 0x100;
  p.peer_tunnel_id = 7;
  p.peer_session_id = 0x200;
  p.version = wire::ProtocolVersion::kV3;
  p.pseudowire = Pseudowire::kEth;
  p.cookie = {0xaa, 0xbb, 0xcc, 0xdd};       // we expect to receive it
  p.peer_cookie = {1, 2, 3, 4, 5, 6, 7, 8};  // we send it
  p.l2_specific_sublayer = L2SpecificSublayer::kDefault;
  p.sequencing = Sequencing::kBoth;
  p.reorder_timeout = std::chrono::milliseconds(250);
  p.interface_name = "l2tpeth7";
  p.mtu = 1450;
  EXPECT_EQ(build_session_create(kFamily, p),
            hex("9c000000 1c00 0500 00000000 00000000"
                "05 01 0000"                            // SESSION_CREATE
                "0800 0900 05000000"                    // CONN_ID
                "0800 0a00 07000000"                    // PEER_CONN_ID
                "0800 0b00 00010000"                    // SESSION_ID 256
                "0800 0c00 00020000"                    // PEER_SESSION_ID 512
                "0600 0100 0500 0000"                   // PW_TYPE eth
                "0500 0500 01 000000"                   // L2SPEC_TYPE default
                "0500 0600 04 000000"                   // L2SPEC_LEN 4
                "0c00 0f00 0102030405060708"            // COOKIE: what the kernel sends
                "0800 1000 aabbccdd"                    // PEER_COOKIE: what it expects
                "0500 1300 01 000000"                   // SEND_SEQ
                "0500 1200 01 000000"                   // RECV_SEQ
                "0500 1400 00 000000"                   // LNS_MODE off
                "0c00 1600 fa00000000000000"            // RECV_TIMEOUT 250 ms, u64
                "0d00 0800 6c32747065746837 00 000000"  // IFNAME "l2tpeth7"
                "0600 1c00 aa05 0000"));                // MTU 1450
}

TEST(L2tpMessagesTest, PppSessionCreateOfL2tpv2HasNoV3Attributes) {
  KernelSessionParams p;
  p.tunnel_id = 5;
  p.session_id = 9;
  p.peer_tunnel_id = 7;
  p.peer_session_id = 11;
  p.lns_mode = true;
  p.interface_name = "ppp-ignored";  // v2: pppd names the interface
  EXPECT_EQ(build_session_create(kFamily, p),
            hex("54000000 1c00 0500 00000000 00000000"
                "05 01 0000"
                "0800 0900 05000000"
                "0800 0a00 07000000"
                "0800 0b00 09000000"
                "0800 0c00 0b000000"
                "0600 0100 0700 0000"  // PW_TYPE ppp
                "0500 1300 00 000000"
                "0500 1200 00 000000"
                "0500 1400 01 000000"));  // LNS_MODE on
}

TEST(L2tpMessagesTest, V3SessionWithoutSublayerSaysNone) {
  KernelSessionParams p;
  p.version = wire::ProtocolVersion::kV3;
  p.pseudowire = Pseudowire::kEth;
  const auto bytes = build_session_create(kFamily, p);
  const auto none = hex("0500 0500 00 000000 0500 0600 00 000000");
  EXPECT_NE(std::search(bytes.begin(), bytes.end(), none.begin(), none.end()), bytes.end());
}

TEST(L2tpMessagesTest, DeleteModifyGetAndDump) {
  EXPECT_EQ(build_tunnel_delete(kFamily, 5),
            hex("1c000000 1c00 0500 00000000 00000000 02 01 0000 0800 0900 05000000"));
  EXPECT_EQ(build_tunnel_modify(kFamily, 5, 0x0f),
            hex("24000000 1c00 0500 00000000 00000000 03 01 0000"
                "0800 0900 05000000 0800 1100 0f000000"));  // DEBUG
  EXPECT_EQ(build_tunnel_get(kFamily, 5),
            hex("1c000000 1c00 0500 00000000 00000000 04 01 0000 0800 0900 05000000"));
  EXPECT_EQ(build_tunnel_dump(kFamily),
            hex("14000000 1c00 0103 00000000 00000000 04 01 0000"));  // REQUEST|DUMP
  EXPECT_EQ(build_session_delete(kFamily, 5, 9),
            hex("24000000 1c00 0500 00000000 00000000 06 01 0000"
                "0800 0900 05000000 0800 0b00 09000000"));
  EXPECT_EQ(build_session_modify(kFamily, 5, 9,
                                 {Sequencing::kRecv, true, std::chrono::milliseconds(100)}),
            hex("48000000 1c00 0500 00000000 00000000 07 01 0000"
                "0800 0900 05000000 0800 0b00 09000000"
                "0500 1300 00 000000 0500 1200 01 000000 0500 1400 01 000000"
                "0c00 1600 6400000000000000"));
  EXPECT_EQ(build_session_get(kFamily, 5, 9), hex("24000000 1c00 0500 00000000 00000000 08 01 0000"
                                                  "0800 0900 05000000 0800 0b00 09000000"));
  EXPECT_EQ(build_session_dump(kFamily), hex("14000000 1c00 0103 00000000 00000000 08 01 0000"));
}

TEST(L2tpMessagesTest, SequenceIsStampedIntoTheHeader) {
  auto bytes = build_tunnel_delete(kFamily, 5);
  set_sequence(bytes, 0x01020304);
  EXPECT_EQ(NetlinkBytes(bytes.begin() + 8, bytes.begin() + 12), hex("04030201"));
}

TEST(L2tpMessagesTest, LinkUpByNameWithMtu) {
  EXPECT_EQ(build_link_up("l2tpeth0", 1446),
            hex("38000000 1000 0500 00000000 00000000"   // RTM_NEWLINK, REQUEST|ACK
                "00 00 0000 00000000 01000000 01000000"  // ifinfomsg: up, change up
                "0d00 0300 6c32747065746830 00 000000"   // IFLA_IFNAME
                "0800 0400 a6050000"));                  // IFLA_MTU 1446
  EXPECT_EQ(build_link_up("l2tpeth0", 0).size(), 0x38u - 8u);
}

// ---- Answers ---------------------------------------------------------------------

TEST(L2tpMessagesTest, TunnelReplyIsParsed) {
  const auto reply =
      hex("70000000 1c00 0000 2a000000 99000000"
          "04 01 0000"
          "0800 0900 05000000"   // CONN_ID
          "0800 0a00 07000000"   // PEER_CONN_ID
          "0500 0700 03 000000"  // PROTO_VERSION 3
          "0600 0200 0000 0000"  // udp
          "0800 1100 00000000"   // DEBUG
          "0400 1e00"            // STATS, empty
          "0600 1a00 a506 0000"  // UDP_SPORT
          "0600 1b00 a606 0000"  // UDP_DPORT
          "0500 0d00 01 000000"  // UDP_CSUM
          "0800 1800 c0000201"
          "0800 1900 c0000202"
          "0800 2300 00000000");  // PAD, ignored
  auto replies = split_replies(reply);
  ASSERT_TRUE(replies);
  ASSERT_EQ(replies->size(), 1u);
  EXPECT_EQ((*replies)[0].kind, ReplyKind::kData);
  EXPECT_EQ((*replies)[0].sequence, 42u);
  auto tunnel = parse_tunnel((*replies)[0].bytes);
  ASSERT_TRUE(tunnel) << tunnel.error();
  EXPECT_EQ(tunnel->tunnel_id, 5u);
  EXPECT_EQ(tunnel->peer_tunnel_id, 7u);
  EXPECT_EQ(tunnel->version, wire::ProtocolVersion::kV3);
  EXPECT_EQ(tunnel->encapsulation, wire::Encapsulation::kUdp);
  EXPECT_EQ(tunnel->local, Endpoint::ipv4({192, 0, 2, 1}, 1701));
  EXPECT_EQ(tunnel->peer, Endpoint::ipv4({192, 0, 2, 2}, 1702));
  EXPECT_TRUE(tunnel->udp_checksum);
}

const char* kSessionReply =
    "ec000000 1c00 0000 07000000 00000000"
    "08 01 0000"
    "0800 0900 05000000"
    "0800 0b00 00010000"
    "0800 0a00 07000000"
    "0800 0c00 00020000"
    "0600 0100 0500 0000"                   // PW_TYPE eth
    "0d00 0800 6c32747065746833 00 000000"  // IFNAME l2tpeth3
    "0c00 0f00 0102030405060708"            // COOKIE (sent)
    "0800 1000 aabbccdd"                    // PEER_COOKIE (expected)
    "0500 1200 01 000000"                   // RECV_SEQ
    "0500 1300 00 000000"                   // SEND_SEQ
    "0500 1400 00 000000"                   // LNS_MODE
    "0c00 1600 fa00000000000000"            // RECV_TIMEOUT 250
    "6800 1e00"                             // STATS, 100 bytes of payload
    "0400 0900"                             // STATS_PAD
    "0c00 0100 0a00000000000000"            // TX_PACKETS 10
    "0c00 0200 e803000000000000"            // TX_BYTES 1000
    "0c00 0300 0100000000000000"            // TX_ERRORS 1
    "0c00 0400 1400000000000000"            // RX_PACKETS 20
    "0c00 0500 d007000000000000"            // RX_BYTES 2000
    "0c00 0600 0200000000000000"            // RX_SEQ_DISCARDS 2
    "0c00 0700 0300000000000000"            // RX_OOS_PACKETS 3
    "0c00 0800 0400000000000000";           // RX_ERRORS 4

TEST(L2tpMessagesTest, SessionReplyIsParsedWithNestedStatistics) {
  const auto reply = hex(kSessionReply);
  ASSERT_EQ(reply.size(), 0xecu);
  auto session = parse_session(reply);
  ASSERT_TRUE(session) << session.error();
  EXPECT_EQ(session->tunnel_id, 5u);
  EXPECT_EQ(session->session_id, 256u);
  EXPECT_EQ(session->peer_tunnel_id, 7u);
  EXPECT_EQ(session->peer_session_id, 512u);
  EXPECT_EQ(session->pw_type, l2tp_nl::kPwTypeEth);
  EXPECT_EQ(session->interface_name, "l2tpeth3");
  EXPECT_EQ(session->send_cookie, wire::Bytes({1, 2, 3, 4, 5, 6, 7, 8}));
  EXPECT_EQ(session->receive_cookie, wire::Bytes({0xaa, 0xbb, 0xcc, 0xdd}));
  EXPECT_TRUE(session->recv_seq);
  EXPECT_FALSE(session->send_seq);
  EXPECT_EQ(session->reorder_timeout_ms, 250u);
  const SessionCounters& c = session->counters;
  EXPECT_EQ(c.tx_packets, 10u);
  EXPECT_EQ(c.tx_bytes, 1000u);
  EXPECT_EQ(c.tx_errors, 1u);
  EXPECT_EQ(c.rx_packets, 20u);
  EXPECT_EQ(c.rx_bytes, 2000u);
  EXPECT_EQ(c.rx_seq_discards, 2u);
  EXPECT_EQ(c.rx_oos_packets, 3u);
  EXPECT_EQ(c.rx_errors, 4u);
}

TEST(L2tpMessagesTest, DumpDatagramSplitsIntoMessagesAndDone) {
  auto datagram = hex(kSessionReply);
  const auto done = hex("14000000 0300 0200 07000000 00000000 00000000");  // NLMSG_DONE
  datagram.insert(datagram.end(), datagram.begin(), datagram.end());
  datagram.insert(datagram.end(), done.begin(), done.end());
  auto replies = split_replies(datagram);
  ASSERT_TRUE(replies);
  ASSERT_EQ(replies->size(), 3u);
  EXPECT_EQ((*replies)[0].kind, ReplyKind::kData);
  EXPECT_EQ((*replies)[1].kind, ReplyKind::kData);
  EXPECT_EQ((*replies)[2].kind, ReplyKind::kDone);
  EXPECT_EQ((*replies)[2].error, 0);
  EXPECT_TRUE(parse_session((*replies)[1].bytes));
}

TEST(L2tpMessagesTest, AckAndErrorsWithTheKernelsText) {
  auto ack =
      split_replies(hex("24000000 0200 0001 05000000 00000000"  // NLMSG_ERROR, CAPPED
                        "00000000"                              // error 0
                        "1c000000 1c00 0500 05000000 00000000"));
  ASSERT_TRUE(ack);
  EXPECT_EQ((*ack)[0].kind, ReplyKind::kAck);

  auto exists =
      split_replies(hex("2c000000 0200 0003 05000000 00000000"  // CAPPED|ACK_TLVS
                        "efffffff"                              // -EEXIST
                        "1c000000 1c00 0500 05000000 00000000"
                        "0800 0100 62616400"));  // MSG "bad"
  ASSERT_TRUE(exists);
  EXPECT_EQ((*exists)[0].kind, ReplyKind::kError);
  EXPECT_EQ((*exists)[0].error, EEXIST);
  EXPECT_EQ((*exists)[0].error_message, "bad");

  auto missing =
      split_replies(hex("24000000 0200 0001 05000000 00000000"
                        "a3ffffff"  // -EPROTONOSUPPORT (93)
                        "1c000000 1c00 0500 05000000 00000000"));
  ASSERT_TRUE(missing);
  EXPECT_EQ((*missing)[0].error, EPROTONOSUPPORT);
  EXPECT_EQ((*missing)[0].error_message, "");
}

TEST(L2tpMessagesTest, HostileAnswersAreRefused) {
  EXPECT_FALSE(split_replies(hex("ff000000 1c00 0000 00000000 00000000")));  // too long
  EXPECT_FALSE(split_replies(hex("08000000 1c00 0000 00000000 00000000")));  // too short
  EXPECT_FALSE(split_replies(hex("14000000 1c00")));                         // cut header
  EXPECT_FALSE(split_replies(hex("14000000 0200 0000 00000000 00000000")));  // error, no code
  // An attribute running past its message.
  EXPECT_FALSE(
      parse_session(hex("20000000 1c00 0000 00000000 00000000 08 01 0000"
                        "4000 0900 05000000")));
  // No ids.
  EXPECT_FALSE(parse_session(hex("18000000 1c00 0000 00000000 00000000 08 01 0000")));
  EXPECT_FALSE(parse_tunnel(hex("18000000 1c00 0000 00000000 00000000 04 01 0000")));
  // A short u32.
  EXPECT_FALSE(
      parse_tunnel(hex("1c000000 1c00 0000 00000000 00000000 04 01 0000"
                       "0600 0900 0500 0000")));
}

TEST(L2tpMessagesTest, MissingModulesAreNamedPerRequest) {
  KernelTunnelParams tunnel;
  EXPECT_EQ(missing_module_hint(tunnel), "l2tp_core and l2tp_netlink");
  tunnel.encapsulation = wire::Encapsulation::kIp;
  tunnel.local = Endpoint::ipv4({10, 0, 0, 1}, 0);
  EXPECT_EQ(missing_module_hint(tunnel), "l2tp_ip");
  tunnel.local.family = Endpoint::Family::kIpv6;
  EXPECT_EQ(missing_module_hint(tunnel), "l2tp_ip6");
  KernelSessionParams session;
  EXPECT_EQ(missing_module_hint(session), "l2tp_ppp and ppp_generic");
  session.pseudowire = Pseudowire::kEth;
  EXPECT_EQ(missing_module_hint(session), "l2tp_eth");
}

}  // namespace
}  // namespace l2tp::kernel
