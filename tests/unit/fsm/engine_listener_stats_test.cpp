// What a listener's address turns away is counted in ListenerView::rejected:
// malformed datagrams, messages for tunnels that do not exist, data for no
// session of ours. Data for a tunnel's own sessions is not.
#include <gtest/gtest.h>

#include "engine_harness.h"

namespace l2tp::testing {
namespace {

using wire::Bytes;

class ListenerStatsTest : public ::testing::Test {
 protected:
  void inject(const Bytes& bytes) {
    pair.net.inject(pair.lns, bytes, pair.lns_endpoint, pair.lac_endpoint,
                    wire::Encapsulation::kUdp);
    pair.net.advance(Duration{1});
  }
  std::uint64_t rejected(std::uint32_t listener) const {
    return pair.lns.engine().listener(listener)->rejected;
  }

  LacLns pair{{.transport = {}}};
};

TEST_F(ListenerStatsTest, DatagramsNobodyTakesAreRejectedAtTheListener) {
  const std::uint32_t listener = pair.listen();
  // An AVP whose length (4) is below the header's 6.
  inject({0xc8, 0x02, 0x00, 0x12, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80, 0x04, 0x00,
          0x00, 0x00, 0x00});
  EXPECT_EQ(rejected(listener), 1u);
  EXPECT_EQ(pair.lns.engine().stats().malformed, 1u);
  // A ZLB for tunnel 4242, which does not exist.
  inject({0xc8, 0x02, 0x00, 0x0c, 0x10, 0x92, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00});
  EXPECT_EQ(rejected(listener), 2u);
  // A v2 data packet for tunnel 0x1234, which does not exist either.
  inject({0x00, 0x02, 0x12, 0x34, 0x00, 0x01, 0xff, 0x03});
  EXPECT_EQ(rejected(listener), 3u);
  EXPECT_EQ(pair.lns.tunnel_count(), 0u);
}

TEST_F(ListenerStatsTest, DataForAnAcceptedTunnelIsNotARejection) {
  const TunnelPair tunnels = pair.establish();
  const std::uint32_t listener = pair.lns.tunnel(tunnels.lns).listener_id;
  const std::uint64_t before = rejected(listener);
  const auto id = static_cast<std::uint16_t>(tunnels.lns);
  inject({0x00, 0x02, static_cast<std::uint8_t>(id >> 8), static_cast<std::uint8_t>(id), 0x00, 0x01,
          0xff, 0x03});
  EXPECT_EQ(rejected(listener), before);
  EXPECT_EQ(pair.lns.engine().stats().data_packets, 1u);
}

}  // namespace
}  // namespace l2tp::testing
