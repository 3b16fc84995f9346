// Tunnel sockets on loopback: address conversion, the listener + connected
// per-tunnel socket pair sharing one port, local-address reporting.
#include "kernel/tunnel_socket.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <unistd.h>

#include <array>

namespace l2tp::kernel {
namespace {

using wire::Encapsulation;

Endpoint loopback(std::uint16_t port) {
  return Endpoint::ipv4({127, 0, 0, 1}, port);
}

wire::Bytes bytes(std::initializer_list<std::uint8_t> list) {
  return wire::Bytes(list);
}

bool readable(int fd) {
  pollfd p{fd, POLLIN, 0};
  return poll(&p, 1, 1000) == 1;
}

TEST(TunnelSocketTest, SockaddrRoundTripsForBothFamilies) {
  sockaddr_storage storage;
  const Endpoint v4 = Endpoint::ipv4({192, 0, 2, 7}, 1701);
  socklen_t length = to_sockaddr(v4, Encapsulation::kUdp, 0, storage);
  EXPECT_EQ(length, sizeof(sockaddr_in));
  EXPECT_EQ(from_sockaddr(storage, length), v4);

  std::array<std::uint8_t, 16> address{0x20, 0x01, 0x0d, 0xb8};
  address[15] = 1;
  const Endpoint v6 = Endpoint::ipv6(address, 4500);
  length = to_sockaddr(v6, Encapsulation::kUdp, 0, storage);
  EXPECT_EQ(length, sizeof(sockaddr_in6));
  EXPECT_EQ(from_sockaddr(storage, length), v6);
}

TEST(TunnelSocketTest, ConnectedTunnelSocketSharesTheListenersPortAndGetsItsPeersDatagrams) {
  auto listener = open_tunnel_socket({.local = loopback(0), .share_address = true});
  ASSERT_TRUE(listener.has_value()) << listener.error();
  const Endpoint listen_address = *bound_address(listener->get());

  auto peer = open_tunnel_socket({.local = loopback(0)});
  ASSERT_TRUE(peer.has_value());
  const Endpoint peer_address = *bound_address(peer->get());

  // The first datagram from the peer reaches the listener, with both addresses.
  const wire::Bytes hello = bytes({0xc8, 0x02, 0, 12});
  ASSERT_TRUE(send_datagram(peer->get(), Encapsulation::kUdp, hello, &listen_address));
  ASSERT_TRUE(readable(listener->get()));
  std::array<std::uint8_t, 2048> buffer;
  auto received =
      receive_datagram(listener->get(), Encapsulation::kUdp, listen_address.port, buffer);
  ASSERT_TRUE(received.has_value()) << received.error();
  EXPECT_EQ(received->length, hello.size());
  EXPECT_EQ(received->peer, peer_address);
  EXPECT_EQ(received->local, listen_address);

  // A tunnel socket bound to the same address and port, connected to the
  // peer, takes the peer's later datagrams; the listener sees none.
  auto tunnel =
      open_tunnel_socket({.local = listen_address, .peer = peer_address, .share_address = true});
  ASSERT_TRUE(tunnel.has_value()) << tunnel.error();
  ASSERT_TRUE(send_datagram(tunnel->get(), Encapsulation::kUdp, hello));
  ASSERT_TRUE(readable(peer->get()));
  auto reply = receive_datagram(peer->get(), Encapsulation::kUdp, peer_address.port, buffer);
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->peer, listen_address);

  ASSERT_TRUE(send_datagram(peer->get(), Encapsulation::kUdp, hello, &listen_address));
  ASSERT_TRUE(readable(tunnel->get()));
  EXPECT_TRUE(receive_datagram(tunnel->get(), Encapsulation::kUdp, listen_address.port, buffer));
  EXPECT_EQ(
      receive_datagram(listener->get(), Encapsulation::kUdp, listen_address.port, buffer).error(),
      EAGAIN);
}

// A listener on 0.0.0.0 and a peer on 127.0.0.1, both on ports of their own.
class WildcardListenerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened =
        open_tunnel_socket({.local = Endpoint::ipv4({0, 0, 0, 0}, 0), .share_address = true});
    ASSERT_TRUE(opened.has_value());
    listener = std::move(*opened);
    port = bound_address(listener.get())->port;
    opened = open_tunnel_socket({.local = loopback(0)});
    ASSERT_TRUE(opened.has_value());
    peer = std::move(*opened);
    peer_address = *bound_address(peer.get());
  }
  UniqueFd listener;
  UniqueFd peer;
  std::uint16_t port = 0;
  Endpoint peer_address;
  std::array<std::uint8_t, 64> buffer{};
};

TEST_F(WildcardListenerTest, ReportsTheDestinationAddress) {
  const Endpoint destination = Endpoint::ipv4({127, 0, 0, 9}, port);
  ASSERT_TRUE(send_datagram(peer.get(), Encapsulation::kUdp, bytes({1, 2, 3}), &destination));
  ASSERT_TRUE(readable(listener.get()));
  auto received = receive_datagram(listener.get(), Encapsulation::kUdp, port, buffer);
  ASSERT_TRUE(received.has_value());
  EXPECT_EQ(received->local, destination);
}

TEST_F(WildcardListenerTest, AnswersFromTheAddressTheDatagramCameTo) {
  for (const std::uint8_t last : {9, 10}) {
    const Endpoint source = Endpoint::ipv4({127, 0, 0, last}, port);
    ASSERT_TRUE(send_udp_datagram_from(listener.get(), bytes({4, 5}), peer_address, source));
    ASSERT_TRUE(readable(peer.get()));
    auto received = receive_datagram(peer.get(), Encapsulation::kUdp, peer_address.port, buffer);
    ASSERT_TRUE(received.has_value());
    EXPECT_EQ(received->peer, source);
    EXPECT_EQ(received->length, 2u);
  }
}

TEST(TunnelSocketTest, AListenersReceiveBufferGrows) {
  auto socket = open_tunnel_socket({.local = loopback(0), .share_address = true});
  ASSERT_TRUE(socket.has_value());
  int before = 0;
  socklen_t length = sizeof before;
  ASSERT_EQ(getsockopt(socket->get(), SOL_SOCKET, SO_RCVBUF, &before, &length), 0);
  ASSERT_TRUE(set_receive_buffer(socket->get(), 4 << 20));
  int after = 0;
  ASSERT_EQ(getsockopt(socket->get(), SOL_SOCKET, SO_RCVBUF, &after, &length), 0);
  // Without CAP_NET_ADMIN net.core.rmem_max caps it (the kernel doubles
  // what it grants for its own bookkeeping).
  if (geteuid() == 0) {
    EXPECT_GE(after, 4 << 20);
  } else {
    EXPECT_GE(after, before);
  }
}

TEST(TunnelSocketTest, DatagramsDroppedAtASocketAreCounted) {
  auto a = open_tunnel_socket({.local = loopback(0)});
  auto b = open_tunnel_socket({.local = loopback(0)});
  ASSERT_TRUE(a && b);
  EXPECT_EQ(dropped_datagrams(b->get()), 0u);
  // The smallest receive buffer the kernel allows overflows within a few
  // datagrams that nobody reads.
  const int smallest = 1;
  ASSERT_EQ(setsockopt(b->get(), SOL_SOCKET, SO_RCVBUF, &smallest, sizeof smallest), 0);
  const Endpoint to = *bound_address(b->get());
  for (int i = 0; i < 64; ++i) {
    ASSERT_TRUE(send_datagram(a->get(), Encapsulation::kUdp, wire::Bytes(1000, 7), &to));
  }
  const auto drops = dropped_datagrams(b->get());
  ASSERT_TRUE(drops.has_value());
  EXPECT_GT(*drops, 0u);
  EXPECT_LT(*drops, 64u);
  EXPECT_EQ(dropped_datagrams(-1).error(), EBADF);
}

TEST(TunnelSocketTest, TruncatedDatagramIsRefusedNotCut) {
  auto a = open_tunnel_socket({.local = loopback(0)});
  auto b = open_tunnel_socket({.local = loopback(0)});
  ASSERT_TRUE(a && b);
  const Endpoint to = *bound_address(b->get());
  ASSERT_TRUE(send_datagram(a->get(), Encapsulation::kUdp, wire::Bytes(100, 7), &to));
  ASSERT_TRUE(readable(b->get()));
  std::array<std::uint8_t, 10> small;
  EXPECT_EQ(receive_datagram(b->get(), Encapsulation::kUdp, to.port, small).error(), EMSGSIZE);
}

TEST(TunnelSocketTest, L2tpIpSocketsNeedTheKernelModule) {
  auto socket = open_tunnel_socket({.encapsulation = Encapsulation::kIp, .local = loopback(0)});
  if (!socket) {
    // This machine's kernel lacks l2tp_ip: the VM tests cover L2TPIP for real.
    GTEST_SKIP() << "kernel has no L2TP/IP sockets (errno " << socket.error()
                 << "); covered by tests/vm";
  }
  EXPECT_TRUE(socket->valid());
}

}  // namespace
}  // namespace l2tp::kernel
