// Endpoint: the numeric address forms of dbus-api.md's Peer/Local options.
#include "core/endpoint.h"

#include <gtest/gtest.h>

#include <unordered_set>

namespace l2tp {
namespace {

std::array<std::uint8_t, 16> v6(std::initializer_list<std::uint8_t> tail) {
  std::array<std::uint8_t, 16> a{};
  std::size_t i = 16 - tail.size();
  for (std::uint8_t b : tail) a[i++] = b;
  return a;
}

std::array<std::uint8_t, 16> db8(std::uint8_t last) {
  auto a = v6({last});
  a[0] = 0x20;
  a[1] = 0x01;
  a[2] = 0x0d;
  a[3] = 0xb8;
  return a;
}

TEST(EndpointTest, ParsesIpv4WithAndWithoutPort) {
  auto bare = Endpoint::parse("192.0.2.1", 1701);
  ASSERT_TRUE(bare);
  EXPECT_EQ(*bare, Endpoint::ipv4({192, 0, 2, 1}, 1701));
  auto with_port = Endpoint::parse("192.0.2.1:4000", 1701);
  ASSERT_TRUE(with_port);
  EXPECT_EQ(*with_port, Endpoint::ipv4({192, 0, 2, 1}, 4000));
  EXPECT_EQ(Endpoint::parse("10.0.0.1:0", 1701)->port, 0);
  EXPECT_EQ(Endpoint::parse("10.0.0.1:65535", 1701)->port, 65535);
}

TEST(EndpointTest, ParsesIpv6InEveryForm) {
  EXPECT_EQ(*Endpoint::parse("2001:db8::1", 1701), Endpoint::ipv6(db8(1), 1701));
  EXPECT_EQ(*Endpoint::parse("[2001:db8::1]", 1701), Endpoint::ipv6(db8(1), 1701));
  EXPECT_EQ(*Endpoint::parse("[2001:db8::1]:99", 1701), Endpoint::ipv6(db8(1), 99));
  EXPECT_EQ(*Endpoint::parse("::", 5), Endpoint::ipv6({}, 5));
  EXPECT_EQ(*Endpoint::parse("[::1]:1", 5), Endpoint::ipv6(v6({1}), 1));
}

TEST(EndpointTest, RefusesEverythingElse) {
  for (const char* text : {"",
                           "host.example",
                           "host.example:1701",
                           "192.0.2.1:",
                           "192.0.2.1:65536",
                           "192.0.2.1:-1",
                           "192.0.2.1:+5",
                           "192.0.2.1: 5",
                           "192.0.2.1:0x10",
                           "192.0.2.256",
                           "192.0.2",
                           "[2001:db8::1",
                           "[2001:db8::1]x",
                           "[2001:db8::1]:",
                           "[2001:db8::1]:70000",
                           "[192.0.2.1]",
                           "2001:db8::1%eth0",
                           "[fe80::1%eth0]:1701",
                           " 192.0.2.1",
                           "192.0.2.1 ",
                           ":1701",
                           "[]:1701",
                           "1.2.3.4:1701:1"}) {
    EXPECT_FALSE(Endpoint::parse(text, 1701)) << '"' << text << '"';
  }
  // Longer than any address: refused without overrunning anything.
  EXPECT_FALSE(Endpoint::parse(std::string(500, '1'), 1701));
  EXPECT_FALSE(Endpoint::parse("[" + std::string(500, ':') + "]", 1701));
}

TEST(EndpointTest, FormatsForHumansAndRoundTrips) {
  EXPECT_EQ(Endpoint::ipv4({192, 0, 2, 1}, 1701).to_string(), "192.0.2.1:1701");
  EXPECT_EQ(Endpoint::ipv4({192, 0, 2, 1}, 0).to_string(), "192.0.2.1");
  EXPECT_EQ(Endpoint::ipv6(db8(1), 1701).to_string(), "[2001:db8::1]:1701");
  EXPECT_EQ(Endpoint::ipv6(db8(1), 0).to_string(), "[2001:db8::1]");
  EXPECT_EQ(Endpoint{}.to_string(), "any");
  EXPECT_EQ(Endpoint{}.with_port(1701).to_string(), "any:1701");
  for (const Endpoint& e :
       {Endpoint::ipv4({10, 1, 2, 3}, 7), Endpoint::ipv6(db8(9), 1701), Endpoint::ipv6({}, 1)}) {
    EXPECT_EQ(Endpoint::parse(e.to_string(), 1), e) << e.to_string();
  }
}

TEST(EndpointTest, KnowsWildcardAddresses) {
  EXPECT_TRUE(Endpoint::ipv4({0, 0, 0, 0}, 1701).is_unspecified_address());
  EXPECT_TRUE(Endpoint::ipv6({}, 1701).is_unspecified_address());
  EXPECT_FALSE(Endpoint::ipv4({0, 0, 0, 1}, 1701).is_unspecified_address());
  EXPECT_FALSE(Endpoint::ipv6(v6({1}), 1701).is_unspecified_address());
}

TEST(EndpointTest, EqualityAndHashCoverFamilyAddressAndPort) {
  const Endpoint a = Endpoint::ipv4({192, 0, 2, 1}, 1701);
  EXPECT_NE(a, a.with_port(1702));
  EXPECT_NE(a, Endpoint::ipv4({192, 0, 2, 2}, 1701));
  // The same 16 bytes under another family are another endpoint.
  Endpoint other_family = a;
  other_family.family = Endpoint::Family::kIpv6;
  EXPECT_NE(a, other_family);

  std::unordered_set<Endpoint, EndpointHash> set;
  set.insert(a);
  set.insert(a);
  set.insert(a.with_port(1702));
  set.insert(other_family);
  EXPECT_EQ(set.size(), 3u);
  EXPECT_EQ(EndpointHash{}(a), EndpointHash{}(Endpoint::ipv4({192, 0, 2, 1}, 1701)));
}

}  // namespace
}  // namespace l2tp
