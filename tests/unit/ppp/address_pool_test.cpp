// LNS address leases: lowest free first, exhaustion, reuse, overlapping pools.
#include "ppp/address_pool.h"

#include <gtest/gtest.h>

namespace l2tp::ppp {
namespace {

TEST(AddressPoolTest, LeasesLowestFreeAddressAndReusesReleasedOnes) {
  AddressPool pool;
  EXPECT_EQ(pool.lease("10.0.0.10-10.0.0.12"), "10.0.0.10");
  EXPECT_EQ(pool.lease("10.0.0.10-10.0.0.12"), "10.0.0.11");
  EXPECT_EQ(pool.lease("10.0.0.10-10.0.0.12"), "10.0.0.12");
  EXPECT_EQ(pool.leased(), 3u);
  pool.release("10.0.0.11");
  EXPECT_EQ(pool.lease("10.0.0.10-10.0.0.12"), "10.0.0.11");
}

TEST(AddressPoolTest, ExhaustedPoolIsAnErrorUntilAnAddressIsReleased) {
  AddressPool pool;
  ASSERT_EQ(pool.lease("192.168.5.1-192.168.5.1"), "192.168.5.1");
  const auto none = pool.lease("192.168.5.1-192.168.5.1");
  ASSERT_FALSE(none.has_value());
  EXPECT_NE(none.error().find("exhausted"), std::string::npos);
  pool.release("192.168.5.1");
  EXPECT_EQ(pool.lease("192.168.5.1-192.168.5.1"), "192.168.5.1");
}

TEST(AddressPoolTest, OverlappingPoolsNeverShareAnAddress) {
  AddressPool pool;
  EXPECT_EQ(pool.lease("10.1.0.1-10.1.0.3"), "10.1.0.1");
  EXPECT_EQ(pool.lease("10.1.0.2-10.1.0.9"), "10.1.0.2");
  EXPECT_EQ(pool.lease("10.1.0.1-10.1.0.3"), "10.1.0.3");
  EXPECT_FALSE(pool.lease("10.1.0.1-10.1.0.3").has_value());
  EXPECT_EQ(pool.lease("10.1.0.2-10.1.0.9"), "10.1.0.4");
}

TEST(AddressPoolTest, RangesAcrossOctetsAndAtTheTopOfTheAddressSpace) {
  AddressPool pool;
  EXPECT_EQ(pool.lease("10.0.0.255-10.0.1.0"), "10.0.0.255");
  EXPECT_EQ(pool.lease("10.0.0.255-10.0.1.0"), "10.0.1.0");
  EXPECT_EQ(pool.lease("255.255.255.255-255.255.255.255"), "255.255.255.255");
  EXPECT_FALSE(pool.lease("255.255.255.255-255.255.255.255").has_value());
}

TEST(AddressPoolTest, MalformedRangesAreErrors) {
  AddressPool pool;
  for (const char* range : {"", "10.0.0.1", "10.0.0.2-10.0.0.1", "10.0.0.1-", "-10.0.0.1",
                            "10.0.0.1-10.0.0.x", "10.0.0.1-10.0.0.2-10.0.0.3", "::1-::2"}) {
    EXPECT_FALSE(pool.lease(range).has_value()) << range;
  }
  EXPECT_EQ(pool.leased(), 0u);
}

TEST(AddressPoolTest, ReleasingUnknownAddressesIsHarmless) {
  AddressPool pool;
  pool.release("10.0.0.1");
  pool.release("not an address");
  EXPECT_EQ(pool.lease("10.0.0.1-10.0.0.1"), "10.0.0.1");
}

}  // namespace
}  // namespace l2tp::ppp
