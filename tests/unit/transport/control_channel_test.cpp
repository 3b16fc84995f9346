// Sending side of the control channel: sequence numbers, retransmission
// schedule, peer window with slow start and congestion avoidance, dead peer.
#include "transport/control_channel.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "channel_harness.h"

namespace l2tp::transport::test {
namespace {

std::vector<Duration> times_of(const std::vector<Transmission>& sent) {
  std::vector<Duration> out;
  for (const auto& t : sent) out.push_back(t.at);
  return out;
}

std::vector<std::uint16_t> ns_of(const std::vector<Transmission>& sent) {
  std::vector<std::uint16_t> out;
  for (const auto& t : sent) out.push_back(t.ns);
  return out;
}

ChannelConfig retransmit_config() {
  ChannelConfig config = quiet_config();
  config.retransmit_timeout = 1000ms;
  config.max_retransmit_timeout = 8000ms;
  config.max_retransmits = 5;
  return config;
}

TEST(ControlChannelSend, FirstMessageGetsNsZeroAndCurrentNr) {
  RecordingOwner owner;
  owner.channel->send(text("SCCRQ"));
  ASSERT_EQ(owner.sent.size(), 1u);
  EXPECT_EQ(owner.sent[0].ns, 0);
  EXPECT_EQ(owner.sent[0].nr, 0);
  EXPECT_EQ(owner.sent[0].body, "SCCRQ");
  EXPECT_EQ(owner.channel->next_send_sequence(), 1);
  EXPECT_EQ(owner.channel->stats().messages_sent, 1u);
}

// Acknowledgements have their own call: no payload, however empty, is one.
TEST(ControlChannelSend, EmptyPayloadIsAReliableMessageNotAnAcknowledgement) {
  RecordingOwner owner;
  owner.channel->send({});
  ASSERT_EQ(owner.sent.size(), 1u);
  EXPECT_FALSE(owner.sent[0].is_ack());
  EXPECT_EQ(owner.channel->next_send_sequence(), 1);
  EXPECT_EQ(owner.channel->stats().acks_sent, 0u);
  EXPECT_FALSE(owner.channel->idle());
}

// 1000 ms doubling to an 8000 ms cap, 5 retransmissions: the documented
// schedule, then the peer is dead one more timeout after the last try.
TEST(ControlChannelRetransmit, ExactScheduleThenPeerDead) {
  RecordingOwner owner(retransmit_config());
  owner.channel->send(text("SCCRQ"));
  owner.clock.run_until_idle(1h);

  const auto sent = owner.reliable_since(0);
  EXPECT_EQ(times_of(sent), (std::vector<Duration>{0ms, 1000ms, 3000ms, 7000ms, 15000ms, 23000ms}));
  for (const auto& t : sent) {
    EXPECT_EQ(t.ns, 0);
    EXPECT_EQ(t.body, "SCCRQ");
  }
  EXPECT_EQ(owner.dead_at, (std::vector<Duration>{31000ms}));
  EXPECT_EQ(owner.channel->stats().retransmits, 5u);
  EXPECT_EQ(owner.channel->stats().messages_sent, 1u);
  EXPECT_TRUE(owner.channel->peer_dead());
  EXPECT_FALSE(owner.channel->idle());
}

TEST(ControlChannelRetransmit, CapAppliesFromTheStartWhenLow) {
  ChannelConfig config = retransmit_config();
  config.retransmit_timeout = 500ms;
  config.max_retransmit_timeout = 1500ms;
  config.max_retransmits = 4;
  RecordingOwner owner(config);
  owner.channel->send(text("x"));
  owner.clock.run_until_idle(1h);
  // Gaps 500, 1000, 1500 (capped), 1500, then dead 1500 later.
  EXPECT_EQ(times_of(owner.reliable_since(0)),
            (std::vector<Duration>{0ms, 500ms, 1500ms, 3000ms, 4500ms}));
  EXPECT_EQ(owner.dead_at, (std::vector<Duration>{6000ms}));
}

TEST(ControlChannelRetransmit, PeerDeadIsReportedOnceAndChannelGoesInert) {
  RecordingOwner owner(retransmit_config());
  owner.channel->send(text("a"));
  owner.clock.run_until_idle(1h);
  ASSERT_EQ(owner.dead_at.size(), 1u);
  const std::size_t before = owner.sent.size();

  owner.channel->send(text("b"));
  owner.peer_sends(0, 0, "c");
  owner.channel->acknowledge_now();
  owner.clock.run_until_idle(1h);
  EXPECT_EQ(owner.sent.size(), before);
  EXPECT_EQ(owner.dead_at.size(), 1u);
  EXPECT_TRUE(owner.delivered.empty());
  EXPECT_EQ(owner.clock.armed_count(), 0u);
}

TEST(ControlChannelRetransmit, ProgressResetsTheBackoff) {
  RecordingOwner owner(retransmit_config());
  owner.channel->send(text("first"));
  owner.channel->send(text("second"));  // waits: the congestion window is 1
  owner.clock.advance(4000ms);          // "first" at 0, 1000, 3000
  owner.peer_acks(1);                   // at 4000: "second" goes out, backoff restarts
  owner.clock.run_until_idle(1h);

  const auto sent = owner.reliable_since(0);
  EXPECT_EQ(times_of(sent), (std::vector<Duration>{0ms, 1000ms, 3000ms, 4000ms, 5000ms, 7000ms,
                                                   11000ms, 19000ms, 27000ms}));
  EXPECT_EQ(ns_of(sent), (std::vector<std::uint16_t>{0, 0, 0, 1, 1, 1, 1, 1, 1}));
  EXPECT_EQ(owner.dead_at, (std::vector<Duration>{35000ms}));
}

TEST(ControlChannelRetransmit, OnlyTheOldestIsRetransmitted) {
  RecordingOwner owner(retransmit_config());
  for (int i = 0; i < 5; ++i) owner.channel->send(text("m" + std::to_string(i)));
  owner.peer_acks(1);  // cwnd 2: m1 and m2 in flight
  const std::size_t mark = owner.sent.size();
  owner.clock.advance(1000ms);
  const auto resent = owner.reliable_since(mark);
  ASSERT_EQ(resent.size(), 1u);
  EXPECT_EQ(resent[0].ns, 1);
  EXPECT_EQ(resent[0].body, "m1");
}

// The retransmission carries the Nr of the moment, and settles the delayed
// acknowledgement that was waiting for a piggyback.
TEST(ControlChannelRetransmit, RetransmissionCarriesCurrentNr) {
  ChannelConfig config = retransmit_config();
  config.ack_delay = 800ms;
  RecordingOwner owner(config);
  owner.channel->send(text("ICRQ"));
  owner.clock.advance(500ms);
  owner.peer_sends(0, 0, "SLI");  // does not acknowledge ICRQ
  owner.clock.advance(1000ms);

  ASSERT_EQ(owner.sent.size(), 2u);
  EXPECT_EQ(owner.sent[0].nr, 0);
  EXPECT_EQ(owner.sent[1].at, 1000ms);
  EXPECT_EQ(owner.sent[1].ns, 0);
  EXPECT_EQ(owner.sent[1].nr, 1);
  EXPECT_EQ(owner.channel->stats().acks_sent, 0u);
}

TEST(ControlChannelAck, CumulativeNrAcknowledgesEverythingBelowIt) {
  RecordingOwner owner;
  for (int i = 0; i < 3; ++i) owner.channel->send(text("m"));
  owner.peer_acks(1);  // cwnd 2: ns 1 and 2 out
  EXPECT_FALSE(owner.channel->idle());
  owner.peer_acks(3);
  EXPECT_TRUE(owner.channel->idle());
  owner.clock.run_until_idle(1h);
  EXPECT_EQ(owner.channel->stats().retransmits, 0u);
  EXPECT_EQ(owner.clock.armed_count(), 0u);
}

TEST(ControlChannelAck, NrBeyondWhatWasSentIsIgnoredButNsStillDelivered) {
  RecordingOwner owner;
  owner.channel->send(text("a"));
  owner.peer_sends(0, 5, "b");
  EXPECT_EQ(owner.channel->stats().invalid_acks, 1u);
  EXPECT_FALSE(owner.channel->idle());  // "a" is still unacknowledged
  EXPECT_EQ(owner.delivered, (std::vector<std::string>{"b"}));
}

// ---- Window, slow start, congestion avoidance -------------------------------

// Acknowledges all in flight and returns how many new messages went out.
std::size_t ack_round(RecordingOwner& owner) {
  const std::size_t mark = owner.sent.size();
  owner.peer_acks_everything();
  return owner.reliable_since(mark).size();
}

TEST(ControlChannelWindow, PeerThatNeverAcksSeesOneMessageAtFirst) {
  RecordingOwner owner(retransmit_config());
  for (int i = 0; i < 10; ++i) owner.channel->send(text("m"));
  owner.channel->set_peer_window(8);
  owner.clock.run_until_idle(1h);
  for (const auto& t : owner.sent) EXPECT_EQ(t.ns, 0);
  EXPECT_EQ(owner.channel->stats().messages_sent, 1u);
}

TEST(ControlChannelWindow, SlowStartDoublesThenTheWindowCaps) {
  RecordingOwner owner;
  owner.channel->set_peer_window(8);
  for (int i = 0; i < 100; ++i) owner.channel->send(text("m"));
  EXPECT_EQ(owner.reliable_since(0).size(), 1u);
  std::vector<std::size_t> rounds;
  for (int i = 0; i < 4; ++i) rounds.push_back(ack_round(owner));
  EXPECT_EQ(rounds, (std::vector<std::size_t>{2, 4, 8, 8}));
}

TEST(ControlChannelWindow, DefaultPeerWindowIsFourAndCanShrink) {
  RecordingOwner owner;
  for (int i = 0; i < 100; ++i) owner.channel->send(text("m"));
  std::vector<std::size_t> rounds;
  for (int i = 0; i < 4; ++i) rounds.push_back(ack_round(owner));
  EXPECT_EQ(rounds, (std::vector<std::size_t>{2, 4, 4, 4}));
  owner.channel->set_peer_window(2);
  EXPECT_EQ(ack_round(owner), 2u);
  EXPECT_EQ(ack_round(owner), 2u);
}

// A peer that stops acknowledging a full window: nothing new goes out, only
// the oldest message is retried.
TEST(ControlChannelWindow, FullWindowWithoutAcksSendsNothingNew) {
  RecordingOwner owner(retransmit_config());
  for (int i = 0; i < 100; ++i) owner.channel->send(text("m"));
  for (int i = 0; i < 3; ++i) ack_round(owner);  // 4 in flight: ns 7..10
  const std::size_t mark = owner.sent.size();
  owner.clock.run_until_idle(1h);
  const auto later = owner.reliable_since(mark);
  EXPECT_EQ(later.size(), 5u);
  for (const auto& t : later) EXPECT_EQ(t.ns, 7);
  EXPECT_EQ(owner.channel->next_send_sequence(), 11);
}

// RFC 2661 Appendix A: a timeout halves SSTHRESH into CWND/2 and resets CWND
// to 1; slow start up to SSTHRESH, then one more per CWND acknowledgements.
TEST(ControlChannelWindow, TimeoutRestartsSlowStartThenCongestionAvoidance) {
  RecordingOwner owner(retransmit_config());
  owner.channel->set_peer_window(8);
  for (int i = 0; i < 200; ++i) owner.channel->send(text("m"));
  for (int i = 0; i < 4; ++i) ack_round(owner);  // CWND 8, 8 in flight
  const std::size_t mark = owner.sent.size();
  owner.clock.advance(1000ms);
  const auto resent = owner.reliable_since(mark);
  ASSERT_EQ(resent.size(), 1u);  // SSTHRESH 4, CWND 1
  EXPECT_EQ(resent[0].ns, 15);

  // 8 acknowledgements: 3 take CWND to 4, the 4th through 7th add one more.
  std::vector<std::size_t> rounds;
  for (int i = 0; i < 5; ++i) rounds.push_back(ack_round(owner));
  EXPECT_EQ(rounds, (std::vector<std::size_t>{5, 6, 7, 8, 8}));
}

// CWND stops at the peer window however many acknowledgements come, so a
// timeout after a long steady run halves the window, not some larger count.
TEST(ControlChannelWindow, CongestionWindowNeverGrowsPastThePeerWindow) {
  RecordingOwner owner(retransmit_config());
  for (int i = 0; i < 200; ++i) owner.channel->send(text("m"));
  for (int i = 0; i < 12; ++i) ack_round(owner);  // 4 in flight all along
  owner.clock.advance(1000ms);                    // SSTHRESH 4 / 2, CWND 1
  // 4 acknowledgements: 1 to reach SSTHRESH 2, then 2 for CWND 3.
  EXPECT_EQ(ack_round(owner), 3u);
}

// ---- Sequence number wraparound ---------------------------------------------

TEST(ControlChannelWrap, NsWrapsAndCumulativeAckSpansTheWrap) {
  RecordingOwner owner;
  for (std::uint32_t i = 0; i < 65534; ++i) {
    owner.channel->send(text("m"));
    owner.peer_acks_everything();
  }
  ASSERT_EQ(owner.channel->next_send_sequence(), 65534);
  EXPECT_EQ(owner.sent.back().ns, 65533);

  const std::size_t mark = owner.sent.size();
  for (int i = 0; i < 4; ++i) owner.channel->send(text("w"));
  EXPECT_EQ(ns_of(owner.reliable_since(mark)), (std::vector<std::uint16_t>{65534, 65535, 0, 1}));
  owner.peer_acks(1);  // 65534, 65535 and 0
  EXPECT_FALSE(owner.channel->idle());
  owner.peer_acks(65535);  // stale: older than what was acknowledged
  EXPECT_EQ(owner.channel->stats().invalid_acks, 0u);
  owner.peer_acks(3);  // never sent
  EXPECT_EQ(owner.channel->stats().invalid_acks, 1u);
  owner.peer_acks(2);
  EXPECT_TRUE(owner.channel->idle());
  EXPECT_EQ(owner.channel->stats().retransmits, 0u);
  EXPECT_EQ(owner.channel->stats().messages_sent, 65538u);
}

// ---- Idle -------------------------------------------------------------------

TEST(ControlChannelIdle, IdleMeansNothingUnsentUnacknowledgedOrOwed) {
  RecordingOwner owner;
  EXPECT_TRUE(owner.channel->idle());
  owner.channel->send(text("a"));
  owner.channel->send(text("b"));
  EXPECT_FALSE(owner.channel->idle());
  owner.peer_acks(1);
  EXPECT_FALSE(owner.channel->idle());  // "b" in flight
  owner.peer_acks(2);
  EXPECT_TRUE(owner.channel->idle());
  owner.peer_sends(0, 2, "c");
  EXPECT_FALSE(owner.channel->idle());  // we owe an acknowledgement
  owner.clock.advance(200ms);
  EXPECT_TRUE(owner.channel->idle());
}

}  // namespace
}  // namespace l2tp::transport::test
