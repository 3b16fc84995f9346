// Receiving side of the control channel: in-order exactly-once delivery,
// duplicates, the reorder queue, the receive window, delayed acknowledgement,
// reentrancy from the owner's callbacks, and HELLO.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "channel_harness.h"
#include "transport/control_channel.h"

namespace l2tp::transport::test {
namespace {

using Strings = std::vector<std::string>;

TEST(ControlChannelReceive, InOrderMessageAcknowledgedByZlbAfterAckDelay) {
  RecordingOwner owner;
  owner.peer_sends(0, 0, "SCCRQ");
  EXPECT_EQ(owner.delivered, (Strings{"SCCRQ"}));
  EXPECT_EQ(owner.channel->next_receive_sequence(), 1);
  owner.clock.advance(199ms);
  EXPECT_TRUE(owner.sent.empty());
  owner.clock.advance(1ms);
  ASSERT_EQ(owner.sent.size(), 1u);
  EXPECT_EQ(owner.sent[0].at, 200ms);
  EXPECT_TRUE(owner.sent[0].is_ack());
  EXPECT_EQ(owner.sent[0].ns, 0);
  EXPECT_EQ(owner.sent[0].nr, 1);
  EXPECT_EQ(owner.channel->stats().acks_sent, 1u);
  owner.clock.run_until_idle(1h);
  EXPECT_EQ(owner.sent.size(), 1u);
}

TEST(ControlChannelReceive, ReplyFromOnMessagePiggybacksTheAck) {
  RecordingOwner owner;
  owner.when_message = [&](const std::string&) { owner.channel->send(text("SCCRP")); };
  owner.peer_sends(0, 0, "SCCRQ");
  ASSERT_EQ(owner.sent.size(), 1u);
  EXPECT_EQ(owner.sent[0].body, "SCCRP");
  EXPECT_EQ(owner.sent[0].ns, 0);
  EXPECT_EQ(owner.sent[0].nr, 1);
  owner.clock.advance(900ms);  // before SCCRP's retransmission
  EXPECT_EQ(owner.sent.size(), 1u);
  EXPECT_EQ(owner.channel->stats().acks_sent, 0u);
}

TEST(ControlChannelReceive, SendWithinAckDelayPiggybacksTheAck) {
  RecordingOwner owner;
  owner.peer_sends(0, 0, "ICRQ");
  owner.clock.advance(150ms);
  owner.channel->send(text("ICRP"));
  owner.clock.advance(500ms);
  ASSERT_EQ(owner.sent.size(), 1u);
  EXPECT_EQ(owner.sent[0].at, 150ms);
  EXPECT_EQ(owner.sent[0].nr, 1);
  EXPECT_EQ(owner.channel->stats().acks_sent, 0u);
}

// A message the owner answers with nothing (a handshake's last) is
// acknowledged on the next zero-delay turn, not after ack_delay.
TEST(ControlChannelReceive, AcknowledgeSoonSendsTheAckWithoutWaitingForTheTimer) {
  RecordingOwner owner;
  owner.when_message = [&](const std::string&) { owner.channel->acknowledge_soon(); };
  owner.peer_sends(0, 0, "SCCCN");
  EXPECT_TRUE(owner.sent.empty());  // not from inside: a burst shares one ack
  owner.clock.advance(0ms);
  ASSERT_EQ(owner.sent.size(), 1u);
  EXPECT_EQ(owner.sent[0].at, 0ms);
  EXPECT_TRUE(owner.sent[0].is_ack());
  EXPECT_EQ(owner.sent[0].nr, 1);
  owner.clock.run_until_idle(1h);
  EXPECT_EQ(owner.channel->stats().acks_sent, 1u);
}

// acknowledge_soon() after a reply that carried the ack sends nothing more.
TEST(ControlChannelReceive, AcknowledgeSoonAfterAPiggybackSendsNothing) {
  RecordingOwner owner;
  owner.when_message = [&](const std::string&) {
    owner.channel->send(text("ICRP"));
    owner.channel->acknowledge_soon();
  };
  owner.peer_sends(0, 0, "ICRQ");
  owner.clock.advance(900ms);
  ASSERT_EQ(owner.sent.size(), 1u);
  EXPECT_EQ(owner.sent[0].body, "ICRP");
  EXPECT_EQ(owner.channel->stats().acks_sent, 0u);
}

// The ack timer is not pushed back by each new message, so a steady stream
// still gets acknowledged ack_delay after the first unacknowledged one.
TEST(ControlChannelReceive, StreamOfMessagesDoesNotPostponeTheAck) {
  RecordingOwner owner;
  for (std::uint16_t ns = 0; ns < 4; ++ns) {
    owner.peer_sends(ns, 0, "m");
    owner.clock.advance(60ms);
  }
  const auto acks = owner.acks_since(0);
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0].at, 200ms);
  EXPECT_EQ(acks[0].nr, 4);
}

// Our replies wait behind a full window, so they cannot carry the ack before
// the peer acknowledges us; the peer may be waiting for our ack just the same.
TEST(ControlChannelReceive, AckAtOnceWhenOurWindowBlocksThePiggyback) {
  RecordingOwner owner;
  owner.channel->send(text("ICRQ"));  // CWND 1: in flight
  owner.clock.advance(10ms);
  owner.when_message = [&](const std::string&) { owner.channel->send(text("ICRP")); };
  owner.peer_sends(0, 0, "ICRQ");  // does not acknowledge ours
  owner.peer_sends(1, 0, "CDN");   // arrives in the same burst
  EXPECT_EQ(owner.sent.size(), 1u);
  owner.clock.advance(0ms);
  ASSERT_EQ(owner.sent.size(), 2u);  // one acknowledgement for both
  EXPECT_TRUE(owner.sent[1].is_ack());
  EXPECT_EQ(owner.sent[1].at, 10ms);
  EXPECT_EQ(owner.sent[1].ns, 1);
  EXPECT_EQ(owner.sent[1].nr, 2);

  owner.peer_acks(1);  // CWND 2: both replies go out, no further ZLB
  ASSERT_EQ(owner.sent.size(), 4u);
  EXPECT_EQ(owner.sent[2].body, "ICRP");
  EXPECT_EQ(owner.sent[3].body, "ICRP");
  EXPECT_EQ(owner.sent[3].nr, 2);
  owner.clock.advance(500ms);
  EXPECT_EQ(owner.channel->stats().acks_sent, 1u);
}

TEST(ControlChannelReceive, AcknowledgeNowSendsAtOnceAndOnlyOnce) {
  RecordingOwner owner;
  owner.clock.advance(50ms);
  owner.peer_sends(0, 0, "StopCCN");
  owner.channel->acknowledge_now();
  ASSERT_EQ(owner.sent.size(), 1u);
  EXPECT_EQ(owner.sent[0].at, 50ms);
  EXPECT_TRUE(owner.sent[0].is_ack());
  EXPECT_EQ(owner.sent[0].nr, 1);
  owner.clock.run_until_idle(1h);
  EXPECT_EQ(owner.sent.size(), 1u);
  EXPECT_TRUE(owner.channel->idle());
}

TEST(ControlChannelReceive, AckCarriesCurrentNsWithoutConsumingIt) {
  RecordingOwner owner;
  owner.channel->send(text("SCCRQ"));
  owner.clock.advance(10ms);
  owner.peer_sends(0, 1, "SCCRP");  // acknowledges SCCRQ
  owner.channel->acknowledge_now();
  ASSERT_EQ(owner.sent.size(), 2u);
  EXPECT_EQ(owner.sent[1].ns, 1);
  EXPECT_EQ(owner.sent[1].nr, 1);
  owner.channel->send(text("SCCCN"));
  EXPECT_EQ(owner.sent[2].ns, 1);
  EXPECT_EQ(owner.channel->next_send_sequence(), 2);
}

TEST(ControlChannelReceive, ZlbFromPeerDoesNotAdvanceNr) {
  RecordingOwner owner;
  owner.channel->receive_acknowledgement(0);
  EXPECT_EQ(owner.channel->next_receive_sequence(), 0);
  EXPECT_TRUE(owner.delivered.empty());
  owner.clock.run_until_idle(1h);
  EXPECT_TRUE(owner.sent.empty());
}

// RFC 2661 Appendix B.2: the peer lost our acknowledgement and retransmits;
// we drop the copy and acknowledge at once.
TEST(ControlChannelReceive, DuplicateIsDroppedAndReacknowledgedAtOnce) {
  RecordingOwner owner;
  owner.peer_sends(0, 0, "ICRQ");
  owner.clock.advance(500ms);  // ZLB at 200, "lost"
  owner.peer_sends(0, 0, "ICRQ");
  EXPECT_EQ(owner.delivered, (Strings{"ICRQ"}));
  EXPECT_EQ(owner.channel->stats().duplicates, 1u);
  EXPECT_EQ(owner.acks_since(0).size(), 1u);  // not inside receive()...
  owner.clock.advance(0ms);                   // ...but before time moves on
  const auto acks = owner.acks_since(0);
  ASSERT_EQ(acks.size(), 2u);
  EXPECT_EQ(acks[1].at, 500ms);
  EXPECT_EQ(acks[1].nr, 1);
  owner.clock.run_until_idle(1h);
  EXPECT_EQ(owner.acks_since(0).size(), 2u);
}

TEST(ControlChannelReceive, OutOfOrderMessagesAreQueuedOnceAndDeliveredInOrder) {
  RecordingOwner owner;
  owner.peer_sends(2, 0, "m2");
  owner.peer_sends(1, 0, "m1");
  owner.peer_sends(3, 0, "m3");
  owner.peer_sends(2, 0, "m2");  // a copy of a queued one
  EXPECT_TRUE(owner.delivered.empty());
  EXPECT_EQ(owner.channel->next_receive_sequence(), 0);
  EXPECT_EQ(owner.channel->stats().queued_out_of_order, 3u);
  EXPECT_EQ(owner.channel->stats().duplicates, 1u);
  owner.clock.advance(1000ms);
  EXPECT_TRUE(owner.sent.empty());  // nothing new to acknowledge

  owner.peer_sends(0, 0, "m0");
  EXPECT_EQ(owner.delivered, (Strings{"m0", "m1", "m2", "m3"}));
  EXPECT_EQ(owner.channel->next_receive_sequence(), 4);
  EXPECT_EQ(owner.channel->stats().messages_delivered, 4u);
  owner.clock.run_until_idle(1h);
  const auto acks = owner.acks_since(0);
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0].at, 1200ms);
  EXPECT_EQ(acks[0].nr, 4);
}

TEST(ControlChannelReceive, BeyondReceiveWindowIsDroppedUntilItFits) {
  ChannelConfig config = quiet_config();
  config.receive_window = 4;
  RecordingOwner owner(config);
  owner.peer_sends(4, 0, "m4");  // offset 4: outside a window of 4
  owner.peer_sends(3, 0, "m3");  // offset 3: inside
  EXPECT_EQ(owner.channel->stats().out_of_window, 1u);
  EXPECT_EQ(owner.channel->stats().queued_out_of_order, 1u);
  owner.clock.advance(1000ms);
  EXPECT_TRUE(owner.sent.empty());

  for (std::uint16_t ns = 0; ns < 3; ++ns) owner.peer_sends(ns, 0, "m" + std::to_string(ns));
  EXPECT_EQ(owner.delivered, (Strings{"m0", "m1", "m2", "m3"}));
  owner.peer_sends(4, 0, "m4");  // the peer's retransmission
  EXPECT_EQ(owner.delivered.back(), "m4");
  EXPECT_EQ(owner.channel->next_receive_sequence(), 5);
}

// Ahead, behind and out of window are decided modulo 2^16 around the wrap.
TEST(ControlChannelReceive, ClassificationAcrossTheWrap) {
  ChannelConfig config = quiet_config();
  config.receive_window = 4;
  RecordingOwner owner(config);
  owner.record_deliveries = false;
  for (std::uint32_t ns = 0; ns < 65535; ++ns)
    owner.peer_sends(static_cast<std::uint16_t>(ns), 0, "m");
  ASSERT_EQ(owner.channel->next_receive_sequence(), 65535);
  owner.record_deliveries = true;

  owner.peer_sends(0, 0, "m0");          // 1 ahead: queued
  owner.peer_sends(2, 0, "m2");          // 3 ahead: queued
  owner.peer_sends(3, 0, "m3");          // 4 ahead: outside the window
  owner.peer_sends(32766, 0, "far");     // 32767 ahead: outside the window
  owner.peer_sends(65534, 0, "old");     // 1 behind: duplicate
  owner.peer_sends(32768, 0, "oldest");  // 32767 behind: duplicate
  EXPECT_EQ(owner.channel->stats().queued_out_of_order, 2u);
  EXPECT_EQ(owner.channel->stats().out_of_window, 2u);
  EXPECT_EQ(owner.channel->stats().duplicates, 2u);
  EXPECT_TRUE(owner.delivered.empty());

  owner.peer_sends(65535, 0, "m65535");
  EXPECT_EQ(owner.delivered, (Strings{"m65535", "m0"}));
  owner.peer_sends(1, 0, "m1");
  EXPECT_EQ(owner.delivered, (Strings{"m65535", "m0", "m1", "m2"}));
  EXPECT_EQ(owner.channel->next_receive_sequence(), 3);
  EXPECT_EQ(owner.delivered_count, 65535u + 4u);
}

// ---- Reentrancy and destruction from callbacks ------------------------------

TEST(ControlChannelReentrancy, OwnerMayDestroyTheChannelInsideOnMessage) {
  RecordingOwner owner;
  owner.peer_sends(1, 0, "m1");
  owner.peer_sends(2, 0, "m2");
  owner.when_message = [&](const std::string& body) {
    if (body == "m0") owner.channel.reset();
  };
  owner.peer_sends(0, 0, "m0");
  EXPECT_EQ(owner.delivered, (Strings{"m0"}));
  EXPECT_EQ(owner.channel, nullptr);
  EXPECT_EQ(owner.clock.armed_count(), 0u);
}

TEST(ControlChannelReentrancy, OwnerMayDestroyTheChannelInsideOnPeerDead) {
  RecordingOwner owner;
  owner.when_dead = [&] { owner.channel.reset(); };
  owner.channel->send(text("a"));
  owner.clock.run_until_idle(1h);
  EXPECT_EQ(owner.dead_at.size(), 1u);
  EXPECT_EQ(owner.channel, nullptr);
}

TEST(ControlChannelReentrancy, OwnerMayDestroyTheChannelInsideOnIdle) {
  ChannelConfig config;
  config.hello_interval = 1000ms;
  RecordingOwner owner(config);
  owner.when_idle = [&] { owner.channel.reset(); };
  owner.clock.advance(5000ms);
  EXPECT_EQ(owner.idle_at, (std::vector<Duration>{1000ms}));
  EXPECT_EQ(owner.clock.armed_count(), 0u);
}

TEST(ControlChannelReentrancy, RepliesToEachQueuedMessageKeepOrderAndNr) {
  RecordingOwner owner;
  owner.channel->set_peer_window(8);
  owner.when_message = [&](const std::string& body) { owner.channel->send(text("re " + body)); };
  owner.peer_sends(1, 0, "m1");
  owner.peer_sends(0, 0, "m0");
  EXPECT_EQ(owner.delivered, (Strings{"m0", "m1"}));
  // CWND 1: only the first reply goes out; it acknowledges m0 only, since
  // Nr moves just before each delivery.
  ASSERT_EQ(owner.sent.size(), 1u);
  EXPECT_EQ(owner.sent[0].body, "re m0");
  EXPECT_EQ(owner.sent[0].nr, 1);
  owner.peer_acks(1);
  ASSERT_EQ(owner.sent.size(), 2u);
  EXPECT_EQ(owner.sent[1].body, "re m1");
  EXPECT_EQ(owner.sent[1].ns, 1);
  EXPECT_EQ(owner.sent[1].nr, 2);
}

// ---- HELLO ------------------------------------------------------------------

ChannelConfig hello_config() {
  ChannelConfig config;
  config.hello_interval = 60000ms;
  return config;
}

TEST(ControlChannelHello, OnIdleAfterQuietIntervalAndAgainAfterTheAck) {
  RecordingOwner owner(hello_config());
  owner.when_idle = [&] { owner.channel->send(text("HELLO")); };
  owner.clock.advance(59999ms);
  EXPECT_TRUE(owner.idle_at.empty());
  owner.clock.advance(1ms);
  EXPECT_EQ(owner.idle_at, (std::vector<Duration>{60000ms}));
  ASSERT_EQ(owner.sent.size(), 1u);
  EXPECT_EQ(owner.sent[0].body, "HELLO");

  owner.clock.advance(10ms);
  owner.peer_acks(1);  // heard from the peer at 60010
  owner.clock.advance(59999ms);
  EXPECT_EQ(owner.idle_at.size(), 1u);
  owner.clock.advance(1ms);
  EXPECT_EQ(owner.idle_at, (std::vector<Duration>{60000ms, 120010ms}));
  EXPECT_TRUE(owner.dead_at.empty());
}

TEST(ControlChannelHello, NotCalledWhileThePeerTalks) {
  RecordingOwner owner(hello_config());
  std::uint16_t ns = 0;
  for (int i = 0; i < 10; ++i) {
    owner.clock.advance(30000ms);
    owner.peer_sends(ns++, 0, "m");
  }
  EXPECT_TRUE(owner.idle_at.empty());  // last heard at 300000
  owner.clock.advance(59999ms);
  EXPECT_TRUE(owner.idle_at.empty());
  owner.clock.advance(1ms);
  EXPECT_EQ(owner.idle_at, (std::vector<Duration>{360000ms}));
}

TEST(ControlChannelHello, ZeroIntervalDisables) {
  ChannelConfig config;
  config.hello_interval = Duration::zero();
  RecordingOwner owner(config);
  owner.clock.advance(10h);
  EXPECT_TRUE(owner.idle_at.empty());
  EXPECT_EQ(owner.clock.armed_count(), 0u);
}

TEST(ControlChannelHello, StopHelloDisables) {
  RecordingOwner owner(hello_config());
  owner.clock.advance(30000ms);
  owner.channel->stop_hello();
  owner.clock.advance(10h);
  EXPECT_TRUE(owner.idle_at.empty());
}

TEST(ControlChannelHello, UnacknowledgedHelloMeansPeerDead) {
  RecordingOwner owner(hello_config());
  owner.when_idle = [&] { owner.channel->send(text("HELLO")); };
  owner.clock.advance(200000ms);
  std::vector<Duration> times;
  for (const auto& t : owner.sent) times.push_back(t.at);
  EXPECT_EQ(times, (std::vector<Duration>{60000ms, 61000ms, 63000ms, 67000ms, 75000ms, 83000ms}));
  EXPECT_EQ(owner.dead_at, (std::vector<Duration>{91000ms}));
  EXPECT_EQ(owner.idle_at, (std::vector<Duration>{60000ms}));
}

// While our own message waits for its acknowledgement, its retransmissions
// probe the peer; a HELLO would only queue behind it.
TEST(ControlChannelHello, SuppressedWhileOurMessageIsUnacknowledged) {
  ChannelConfig config;
  config.hello_interval = 5000ms;
  RecordingOwner owner(config);
  owner.channel->send(text("ICRQ"));
  owner.clock.advance(40000ms);
  EXPECT_TRUE(owner.idle_at.empty());
  EXPECT_EQ(owner.dead_at, (std::vector<Duration>{31000ms}));
}

}  // namespace
}  // namespace l2tp::transport::test
