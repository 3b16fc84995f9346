// Two control channels back to back over simulated datagram links that lose,
// duplicate and reorder: every message arrives once, in order, both ways.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "fake_clock.h"
#include "simulated_link.h"
#include "transport/control_channel.h"
#include "wire/bytes.h"

namespace l2tp::transport::test {
namespace {

using namespace std::chrono_literals;
using l2tp::testing::FakeClock;
using l2tp::testing::LinkImpairment;
using l2tp::testing::SimulatedPipe;

// One end of the control connection. Frames a message as Ns, Nr, body, and an
// acknowledgement as Ns, Nr alone (the real header is the tunnel's business),
// and checks what it is handed.
class LinkEnd : public ChannelOutput<wire::Bytes>, public ChannelEvents<wire::Bytes> {
 public:
  LinkEnd(const ChannelConfig& config, FakeClock& clock, SimulatedPipe& outgoing)
      : outgoing_(outgoing), channel(config, clock, clock, *this, *this) {}

  void transmit(std::uint16_t ns, std::uint16_t nr, const wire::Bytes& body) override {
    wire::ByteWriter datagram;
    datagram.u16(ns);
    datagram.u16(nr);
    datagram.bytes(body);
    outgoing_.send(datagram.data());
  }
  void transmit_acknowledgement(std::uint16_t ns, std::uint16_t nr) override {
    wire::ByteWriter datagram;
    datagram.u16(ns);
    datagram.u16(nr);
    outgoing_.send(datagram.data());
  }
  void on_message(const wire::Bytes& body) override {
    wire::ByteReader reader(body);
    const auto counter = reader.u32();
    ASSERT_TRUE(counter.has_value());
    if (*counter != received.size()) ++misordered;
    received.push_back(*counter);
  }
  void on_idle() override {}
  void on_peer_dead() override { ++peer_dead; }

  void datagram_arrived(const wire::Bytes& datagram) {
    wire::ByteReader reader(datagram);
    const auto ns = reader.u16();
    const auto nr = reader.u16();
    ASSERT_TRUE(ns && nr);
    const wire::ByteView body = reader.rest();
    if (body.empty())
      channel.receive_acknowledgement(*nr);
    else
      channel.receive(*ns, *nr, wire::Bytes(body.begin(), body.end()));
  }

  void send_counter(std::uint32_t counter) {
    wire::ByteWriter body;
    body.u32(counter);
    body.bytes(wire::as_bytes("control message"));
    channel.send(body.take());
  }

 private:
  SimulatedPipe& outgoing_;

 public:
  ControlChannel<wire::Bytes, wire::Bytes> channel;
  std::vector<std::uint32_t> received;
  unsigned misordered = 0;
  unsigned peer_dead = 0;
};

struct Outcome {
  ChannelStats a;
  ChannelStats b;
  Duration took;
};

// Both ends queue `count` messages at once and the clock runs until every
// timer is quiet; then each end must have received 0..count-1 in order.
Outcome exchange_both_ways(std::uint32_t count, LinkImpairment impairment, std::uint32_t seed,
                           ChannelConfig config) {
  FakeClock clock;
  SimulatedPipe a_to_b(clock, impairment, seed);
  SimulatedPipe b_to_a(clock, impairment, seed ^ 0x9e3779b9u);
  LinkEnd a(config, clock, a_to_b);
  LinkEnd b(config, clock, b_to_a);
  a_to_b.set_receiver([&](const wire::Bytes& d) { b.datagram_arrived(d); });
  b_to_a.set_receiver([&](const wire::Bytes& d) { a.datagram_arrived(d); });
  a.channel.set_peer_window(config.receive_window);
  b.channel.set_peer_window(config.receive_window);

  for (std::uint32_t i = 0; i < count; ++i) {
    a.send_counter(i);
    b.send_counter(i);
  }
  const Duration took = clock.run_until_idle(24h);

  for (LinkEnd* end : {&a, &b}) {
    EXPECT_EQ(end->received.size(), count);
    EXPECT_EQ(end->misordered, 0u);
    EXPECT_EQ(end->peer_dead, 0u);
    EXPECT_TRUE(end->channel.idle());
    EXPECT_EQ(end->channel.stats().messages_delivered, count);
    EXPECT_EQ(end->channel.stats().messages_sent, count);
    EXPECT_EQ(end->channel.next_send_sequence(), static_cast<std::uint16_t>(count));
    EXPECT_EQ(end->channel.next_receive_sequence(), static_cast<std::uint16_t>(count));
  }
  EXPECT_EQ(clock.armed_count(), 0u);
  return {a.channel.stats(), b.channel.stats(), took};
}

ChannelConfig link_config() {
  ChannelConfig config;
  config.hello_interval = Duration::zero();
  // 30% loss each way loses a round trip half the time; 5 tries would
  // declare a healthy but unlucky peer dead within a thousand messages.
  config.max_retransmits = 40;
  config.receive_window = 8;
  return config;
}

TEST(ControlChannelLink, ThirtyPercentLossBothWays) {
  for (std::uint32_t seed : {1u, 2u, 3u}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    LinkImpairment loss;
    loss.loss = 0.3;
    const Outcome outcome = exchange_both_ways(1000, loss, seed, link_config());
    EXPECT_GT(outcome.a.retransmits, 0u);
    EXPECT_GT(outcome.b.retransmits, 0u);
    EXPECT_GT(outcome.a.queued_out_of_order + outcome.b.queued_out_of_order, 0u);
  }
}

TEST(ControlChannelLink, ReorderAndDuplicatesBothWays) {
  for (std::uint32_t seed : {11u, 12u, 13u}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    LinkImpairment shuffle;
    shuffle.reorder = 0.3;
    shuffle.duplicate = 0.2;
    const Outcome outcome = exchange_both_ways(1000, shuffle, seed, link_config());
    EXPECT_GT(outcome.a.duplicates, 0u);
    EXPECT_GT(outcome.b.duplicates, 0u);
    EXPECT_GT(outcome.a.queued_out_of_order, 0u);
    EXPECT_GT(outcome.b.queued_out_of_order, 0u);
  }
}

TEST(ControlChannelLink, EverythingAtOnceLossReorderDuplicates) {
  LinkImpairment all;
  all.loss = 0.2;
  all.reorder = 0.2;
  all.duplicate = 0.2;
  exchange_both_ways(1000, all, 99, link_config());
}

// Ns and Nr pass 65535 on both sides; a perfect link must not retransmit.
TEST(ControlChannelLink, SeventyThousandMessagesWrapTheSequenceNumbers) {
  const Outcome outcome = exchange_both_ways(70000, LinkImpairment{}, 7, link_config());
  EXPECT_EQ(outcome.a.retransmits, 0u);
  EXPECT_EQ(outcome.b.retransmits, 0u);
  EXPECT_EQ(outcome.a.duplicates + outcome.a.out_of_window, 0u);
}

// The wrap under duplicates and reordering: "behind" and "ahead" are decided
// modulo 2^16 while copies of old messages keep arriving.
TEST(ControlChannelLink, WrapUnderReorderAndDuplicates) {
  LinkImpairment shuffle;
  shuffle.reorder = 0.1;
  shuffle.duplicate = 0.1;
  shuffle.loss = 0.01;
  const Outcome outcome = exchange_both_ways(70000, shuffle, 5, link_config());
  EXPECT_GT(outcome.a.duplicates, 0u);
}

}  // namespace
}  // namespace l2tp::transport::test
