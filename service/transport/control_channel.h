// The reliable delivery of control messages (RFC 2661 §5.8 and Appendix A,
// RFC 3931 §4.2): Ns/Nr with 16-bit wraparound, the peer's receive window,
// slow start and congestion avoidance, retransmission with a capped doubling
// timeout, in-order exactly-once delivery with a reorder queue, delayed
// acknowledgement by ZLB (v2) or ACK (v3), and HELLO after idle time.
//
// The channel never parses AVPs: it moves opaque message bodies. The owner
// (a tunnel) frames them (header, digest) in ChannelOutput::transmit.
//
// Semantics the owner can rely on:
// - A message gets its Ns when it is first transmitted (messages waiting
//   behind the window have none yet); a ZLB/ACK carries the Ns the next new
//   message will get and consumes nothing.
// - On a retransmission timeout only the oldest unacknowledged message is
//   sent again, with the current Nr: the congestion window has just fallen to
//   one, and the peer's reorder queue holds whatever arrived after the gap, so
//   its cumulative Nr moves past all of it once the gap is filled.
// - Timeouts: the first is retransmit_timeout after the first transmission;
//   each retransmission doubles it, capped at max_retransmit_timeout. After
//   max_retransmits retransmissions the peer is declared dead one further
//   timeout later (1000/8000/5: sends at 0, 1, 3, 7, 15, 23 s, dead at 31 s).
//   An acknowledgement of new data resets the backoff and restarts the timer
//   for the next oldest message.
// - Slow start and congestion avoidance count each newly acknowledged message
//   as one ACK, so a cumulative acknowledgement of k messages counts k times.
// - Any event callback may call send(), acknowledge_now(), stop_hello() or
//   set_peer_window(), and may destroy the channel: the channel touches none of
//   its members after an event callback that destroyed it.
// - Once the peer is declared dead the channel is inert: it transmits
//   nothing, ignores what it receives and fires no further events.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>

#include "transport/timing.h"
#include "wire/bytes.h"

namespace l2tp::transport {

struct ChannelConfig {
  Duration retransmit_timeout{1000};      // first timeout; doubles per try
  Duration max_retransmit_timeout{8000};  // cap of the doubling
  unsigned max_retransmits = 5;           // tries after the first send before the peer is dead
  std::uint16_t receive_window = 16;      // what we advertise and accept ahead of Nr (1..32767)
  Duration hello_interval{60000};         // idle time before HELLO; 0 disables
  Duration ack_delay{200};                // wait for a reply to piggyback on before a ZLB/ACK
};

struct ChannelStats {
  std::uint64_t messages_sent = 0;  // first transmissions of reliable messages
  std::uint64_t retransmits = 0;
  std::uint64_t acks_sent = 0;  // ZLB / ACK messages
  std::uint64_t messages_delivered = 0;
  std::uint64_t duplicates = 0;     // already delivered: re-acknowledged, dropped
  std::uint64_t out_of_window = 0;  // beyond our window: dropped
  std::uint64_t queued_out_of_order = 0;
  std::uint64_t invalid_acks = 0;  // Nr acknowledging messages never sent: Nr ignored
};

class ChannelOutput {
 public:
  virtual ~ChannelOutput() = default;
  // Frame and send one message with these sequence numbers. An empty body is
  // a pure acknowledgement (ZLB for v2, ACK message for v3). Must not call back
  // into the channel: it hands the datagram to a socket, not to the peer.
  virtual void transmit(std::uint16_t ns, std::uint16_t nr, wire::ByteView body) = 0;
};

class ChannelEvents {
 public:
  virtual ~ChannelEvents() = default;
  // In order, exactly once.
  virtual void on_message(wire::ByteView body) = 0;
  // The hello interval passed without any message from the peer; the owner
  // sends a HELLO through send(). Not called while a message of ours awaits
  // acknowledgement: its retransmissions already probe the peer.
  virtual void on_idle() = 0;
  // A message went unacknowledged through every retransmission.
  virtual void on_peer_dead() = 0;
};

class ControlChannel {
 public:
  ControlChannel(const ChannelConfig& config, const Clock& clock, AlarmFactory& alarms,
                 ChannelOutput& output, ChannelEvents& events);
  ~ControlChannel();
  ControlChannel(const ControlChannel&) = delete;
  ControlChannel& operator=(const ControlChannel&) = delete;

  // Queues a reliable message; sent at once if the peer's window allows.
  // `body` must not be empty (that would be an acknowledgement); an empty one
  // is ignored.
  void send(wire::Bytes body);

  // Feeds a received control message after header decoding and digest checks:
  // processes Nr (acknowledges our messages), then Ns. `body` empty means a
  // ZLB or ACK, which carries no Ns of its own. An Nr older than what was
  // already acknowledged is stale and ignored; one acknowledging messages
  // never sent is counted in invalid_acks and ignored (the Ns is still
  // processed). An in-order message is acknowledged after ack_delay unless
  // something sent meanwhile carried the acknowledgement. A duplicate is
  // acknowledged promptly, and so is anything while our own messages wait
  // behind the window (no piggyback can come before the peer acknowledges
  // us): "promptly" is a zero-delay alarm, so the datagrams handled at the
  // same moment share one acknowledgement.
  void receive(std::uint16_t ns, std::uint16_t nr, wire::ByteView body);

  // The peer's Receive Window Size once known (4 until then, RFC 2661 §5.8).
  // Also becomes the slow start threshold (RFC 2661 Appendix A). Values are
  // clamped to 1..32767, the most that 16-bit sequence numbers can tell apart.
  void set_peer_window(std::uint16_t window);

  // Sends an acknowledgement now rather than after ack_delay (e.g. for a
  // StopCCN that will be followed by no reply).
  void acknowledge_now();

  // Stops HELLOs (e.g. once a StopCCN was sent or received).
  void stop_hello();

  // Nothing is waiting to be sent or acknowledged: no queued or
  // unacknowledged message of ours, and no acknowledgement we still owe.
  bool idle() const;
  // Every retransmission went unanswered; on_peer_dead() has been called.
  bool peer_dead() const { return dead_; }
  std::uint16_t next_send_sequence() const { return next_ns_; }
  std::uint16_t next_receive_sequence() const { return next_nr_; }
  const ChannelStats& stats() const { return stats_; }

 private:
  struct Pending {
    std::uint16_t ns;
    wire::Bytes body;
  };
  class LifetimeWatch;

  void transmit_window();
  void transmit(const Pending& message);
  void send_ack();
  void owe_ack();
  bool deliver_in_order(wire::ByteView first);
  void process_nr(std::uint16_t nr);
  void grow_congestion_window(std::size_t newly_acknowledged);
  void declare_peer_dead();
  void on_retransmit_alarm();
  void on_ack_alarm();
  void on_hello_alarm();
  std::uint16_t oldest_unacknowledged() const;
  std::size_t send_limit() const;
  Duration first_timeout() const;

  ChannelConfig config_;
  const Clock& clock_;
  ChannelOutput& output_;
  ChannelEvents& events_;
  std::unique_ptr<Alarm> retransmit_alarm_;
  std::unique_ptr<Alarm> ack_alarm_;
  std::unique_ptr<Alarm> hello_alarm_;

  std::uint16_t next_ns_ = 0;  // Ns of the next message transmitted for the first time
  std::uint16_t next_nr_ = 0;  // Ns we expect next from the peer
  std::uint16_t peer_window_ = 4;
  std::uint32_t congestion_window_ = 1;
  std::uint32_t slow_start_threshold_ = 4;
  std::uint32_t acks_in_avoidance_ = 0;  // acks counted towards the next linear increase
  TimePoint last_received_{};  // the hello alarm checks it rather than re-arming per packet
  unsigned tries_ = 0;         // retransmissions of the oldest message without progress
  Duration current_timeout_{1000};

  std::deque<wire::Bytes> unsent_;  // queued behind the window, no Ns yet
  std::deque<Pending> in_flight_;   // sent, unacknowledged, consecutive Ns from the oldest
  std::map<std::uint16_t, wire::Bytes> reorder_;  // received ahead of next_nr_, keyed by Ns
  bool ack_owed_ = false;  // delivered or duplicate messages not yet acknowledged
  bool hello_stopped_ = false;
  bool dead_ = false;
  LifetimeWatch* lifetime_watch_ = nullptr;  // innermost event callback in progress
  ChannelStats stats_;
};

}  // namespace l2tp::transport
