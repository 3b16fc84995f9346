// The reliable delivery of control messages (RFC 2661 §5.8 and Appendix A,
// RFC 3931 §4.2): Ns/Nr with 16-bit wraparound, the peer's receive window,
// slow start and congestion avoidance, retransmission with a capped doubling
// timeout, in-order exactly-once delivery with a reorder queue, delayed
// acknowledgement by ZLB (v2) or ACK (v3), and HELLO after idle time.
//
// The channel never looks inside a message: it is a template over what the
// owner sends (Outgoing) and what it receives (Incoming), and stores, orders
// and hands back these payloads as they are. The owner (a tunnel) encodes and
// decodes them, and frames each (re)transmission (header, digest) in
// ChannelOutput::transmit. A pure acknowledgement (ZLB/ACK) is no payload: it
// leaves through transmit_acknowledgement() and arrives through
// receive_acknowledgement().
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
// - Any event callback may call send(), acknowledge_now(), acknowledge_soon(), stop_hello() or
//   set_peer_window(), and may destroy the channel: the channel touches none of
//   its members after an event callback that destroyed it.
// - Once the peer is declared dead the channel is inert: it transmits
//   nothing, ignores what it receives and fires no further events.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <utility>

#include "core/timing.h"

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

template <typename Outgoing>
class ChannelOutput {
 public:
  virtual ~ChannelOutput() = default;
  // Frame and send one message with these sequence numbers. Neither may call
  // back into the channel: they hand the datagram to a socket, not to the peer.
  virtual void transmit(std::uint16_t ns, std::uint16_t nr, const Outgoing& message) = 0;
  // A pure acknowledgement: a ZLB for v2, an ACK message for v3.
  virtual void transmit_acknowledgement(std::uint16_t ns, std::uint16_t nr) = 0;
};

template <typename Incoming>
class ChannelEvents {
 public:
  virtual ~ChannelEvents() = default;
  // In order, exactly once.
  virtual void on_message(const Incoming& message) = 0;
  // The hello interval passed without any message from the peer; the owner
  // sends a HELLO through send(). Not called while a message of ours awaits
  // acknowledgement: its retransmissions already probe the peer.
  virtual void on_idle() = 0;
  // A message went unacknowledged through every retransmission.
  virtual void on_peer_dead() = 0;
};

namespace detail {

// Sequence numbers are compared in a 2^16 circle (RFC 1982 style): anything
// up to 32767 ahead is "after", anything up to 32768 behind is "before".
inline constexpr std::uint32_t kHalfSequenceSpace = 32768;
inline constexpr std::uint16_t kLargestWindow = kHalfSequenceSpace - 1;

inline std::uint16_t distance(std::uint16_t from, std::uint16_t to) {
  return static_cast<std::uint16_t>(to - from);
}

inline std::uint16_t clamp_window(std::uint16_t window) {
  return std::clamp<std::uint16_t>(window, 1, kLargestWindow);
}

// Lets a method that calls into the owner learn whether the owner destroyed
// the channel meanwhile. Watches nest (an event may re-enter the channel and
// trigger another event); the channel's destructor marks every watch in the
// chain through mark_destroyed().
class LifetimeWatch {
 public:
  explicit LifetimeWatch(LifetimeWatch*& innermost) : innermost_(innermost), outer_(innermost) {
    innermost = this;
  }
  ~LifetimeWatch() {
    if (!destroyed_) innermost_ = outer_;
  }
  LifetimeWatch(const LifetimeWatch&) = delete;
  LifetimeWatch& operator=(const LifetimeWatch&) = delete;

  bool destroyed() const { return destroyed_; }
  static void mark_destroyed(LifetimeWatch* innermost) {
    for (LifetimeWatch* watch = innermost; watch != nullptr; watch = watch->outer_)
      watch->destroyed_ = true;
  }

 private:
  LifetimeWatch*& innermost_;  // the channel's member; untouched once it is destroyed
  LifetimeWatch* outer_;
  bool destroyed_ = false;
};

}  // namespace detail

template <typename Outgoing, typename Incoming>
class ControlChannel {
 public:
  ControlChannel(const ChannelConfig& config, const Clock& clock, AlarmFactory& alarms,
                 ChannelOutput<Outgoing>& output, ChannelEvents<Incoming>& events);
  ~ControlChannel();
  ControlChannel(const ControlChannel&) = delete;
  ControlChannel& operator=(const ControlChannel&) = delete;

  // Queues a reliable message; sent at once if the peer's window allows.
  void send(Outgoing message);

  // Feeds a received control message after header decoding and digest checks:
  // processes Nr (acknowledges our messages), then Ns. An Nr older than what
  // was already acknowledged is stale and ignored; one acknowledging messages
  // never sent is counted in invalid_acks and ignored (the Ns is still
  // processed). An in-order message is acknowledged after ack_delay unless
  // something sent meanwhile carried the acknowledgement. A duplicate is
  // acknowledged promptly, and so is anything while our own messages wait
  // behind the window (no piggyback can come before the peer acknowledges
  // us): "promptly" is a zero-delay alarm, so the datagrams handled at the
  // same moment share one acknowledgement.
  void receive(std::uint16_t ns, std::uint16_t nr, Incoming message);
  // A received ZLB or ACK: only its Nr counts, it carries no Ns of its own.
  void receive_acknowledgement(std::uint16_t nr);

  // The peer's Receive Window Size once known (4 until then, RFC 2661 §5.8).
  // Also becomes the slow start threshold (RFC 2661 Appendix A). Values are
  // clamped to 1..32767, the most that 16-bit sequence numbers can tell apart.
  void set_peer_window(std::uint16_t window);

  // Sends an acknowledgement now rather than after ack_delay (e.g. for a
  // StopCCN that will be followed by no reply).
  void acknowledge_now();
  // What was delivered is acknowledged promptly (the zero-delay alarm of a
  // burst) rather than after ack_delay: for a message the owner answers with
  // nothing (a handshake's last message, a HELLO), so the peer does not wait
  // for a timer. Nothing is sent if a message of ours carries it first.
  void acknowledge_soon();

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
    Outgoing message;
  };

  void hear_from_peer(std::uint16_t nr);
  void after_receipt(bool acknowledge_promptly);
  void transmit_window();
  void transmit(const Pending& pending);
  void send_ack();
  void owe_ack();
  bool deliver_in_order(const Incoming& first);
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
  ChannelOutput<Outgoing>& output_;
  ChannelEvents<Incoming>& events_;
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

  std::deque<Outgoing> unsent_;    // queued behind the window, no Ns yet
  std::deque<Pending> in_flight_;  // sent, unacknowledged, consecutive Ns from the oldest
  std::map<std::uint16_t, Incoming> reorder_;  // received ahead of next_nr_, keyed by Ns
  bool ack_owed_ = false;  // delivered or duplicate messages not yet acknowledged
  bool hello_stopped_ = false;
  bool dead_ = false;
  detail::LifetimeWatch* lifetime_watch_ = nullptr;  // innermost event callback in progress
  ChannelStats stats_;
};

// ---- Definitions ------------------------------------------------------------
// Out of the class body, so that a user's `extern template` declaration keeps
// them from being instantiated in every translation unit.

template <typename Outgoing, typename Incoming>
ControlChannel<Outgoing, Incoming>::ControlChannel(const ChannelConfig& config, const Clock& clock,
                                                   AlarmFactory& alarms,
                                                   ChannelOutput<Outgoing>& output,
                                                   ChannelEvents<Incoming>& events)
    : config_(config),
      clock_(clock),
      output_(output),
      events_(events),
      retransmit_alarm_(alarms.create([this] { on_retransmit_alarm(); })),
      ack_alarm_(alarms.create([this] { on_ack_alarm(); })),
      // A HELLO a second late changes nothing; thousands of idle tunnels then
      // wake the daemon about once a second, not once per tunnel.
      hello_alarm_(alarms.create_lax(
          [this] { on_hello_alarm(); },
          std::min<Duration>(config.hello_interval / 60, std::chrono::seconds(1)))),
      last_received_(clock.now()) {
  config_.receive_window = detail::clamp_window(config_.receive_window);
  current_timeout_ = first_timeout();
  if (config_.hello_interval > Duration::zero()) hello_alarm_->arm(config_.hello_interval);
}

template <typename Outgoing, typename Incoming>
ControlChannel<Outgoing, Incoming>::~ControlChannel() {
  detail::LifetimeWatch::mark_destroyed(lifetime_watch_);
}

template <typename Outgoing, typename Incoming>
void ControlChannel<Outgoing, Incoming>::send(Outgoing message) {
  if (dead_) return;
  unsent_.push_back(std::move(message));
  transmit_window();
}

template <typename Outgoing, typename Incoming>
void ControlChannel<Outgoing, Incoming>::receive(std::uint16_t ns, std::uint16_t nr,
                                                 Incoming message) {
  if (dead_) return;
  hear_from_peer(nr);

  bool acknowledge_promptly = false;
  const std::uint16_t offset = detail::distance(next_nr_, ns);
  if (offset == 0) {
    if (!deliver_in_order(message)) return;
  } else if (offset >= detail::kHalfSequenceSpace) {
    // Already delivered: our acknowledgement must have been lost.
    ++stats_.duplicates;
    ack_owed_ = true;
    acknowledge_promptly = true;
  } else if (offset < config_.receive_window) {
    if (reorder_.try_emplace(ns, std::move(message)).second)
      ++stats_.queued_out_of_order;
    else
      ++stats_.duplicates;
  } else {
    ++stats_.out_of_window;
  }
  after_receipt(acknowledge_promptly);
}

template <typename Outgoing, typename Incoming>
void ControlChannel<Outgoing, Incoming>::receive_acknowledgement(std::uint16_t nr) {
  if (dead_) return;
  hear_from_peer(nr);
  after_receipt(false);
}

template <typename Outgoing, typename Incoming>
void ControlChannel<Outgoing, Incoming>::hear_from_peer(std::uint16_t nr) {
  last_received_ = clock_.now();
  process_nr(nr);
}

template <typename Outgoing, typename Incoming>
void ControlChannel<Outgoing, Incoming>::after_receipt(bool acknowledge_promptly) {
  // Anything the acknowledgement let through now carries the newest Nr.
  transmit_window();
  // Messages still waiting behind our window mean nothing can carry the
  // acknowledgement until the peer acknowledges us, and it may be waiting for
  // ours just the same: waiting ack_delay would stall both directions.
  if (!unsent_.empty()) acknowledge_promptly = true;
  // Promptly, not synchronously: a zero-delay alarm runs after the other
  // datagrams that arrived at this moment, so a burst gets one acknowledgement.
  if (acknowledge_promptly && ack_owed_) ack_alarm_->arm(Duration::zero());
}

template <typename Outgoing, typename Incoming>
void ControlChannel<Outgoing, Incoming>::set_peer_window(std::uint16_t window) {
  if (dead_) return;
  peer_window_ = detail::clamp_window(window);
  slow_start_threshold_ = peer_window_;
  congestion_window_ = std::min<std::uint32_t>(congestion_window_, peer_window_);
  transmit_window();
}

template <typename Outgoing, typename Incoming>
void ControlChannel<Outgoing, Incoming>::acknowledge_now() {
  if (dead_) return;
  send_ack();
}

template <typename Outgoing, typename Incoming>
void ControlChannel<Outgoing, Incoming>::acknowledge_soon() {
  if (!dead_ && ack_owed_) ack_alarm_->arm(Duration::zero());
}

template <typename Outgoing, typename Incoming>
void ControlChannel<Outgoing, Incoming>::stop_hello() {
  hello_stopped_ = true;
  hello_alarm_->cancel();
}

template <typename Outgoing, typename Incoming>
bool ControlChannel<Outgoing, Incoming>::idle() const {
  return unsent_.empty() && in_flight_.empty() && !ack_owed_;
}

// ---- Sending ----------------------------------------------------------------

template <typename Outgoing, typename Incoming>
std::size_t ControlChannel<Outgoing, Incoming>::send_limit() const {
  return std::min<std::uint32_t>(peer_window_, congestion_window_);
}

template <typename Outgoing, typename Incoming>
std::uint16_t ControlChannel<Outgoing, Incoming>::oldest_unacknowledged() const {
  return static_cast<std::uint16_t>(next_ns_ - in_flight_.size());
}

template <typename Outgoing, typename Incoming>
Duration ControlChannel<Outgoing, Incoming>::first_timeout() const {
  return std::min(config_.retransmit_timeout, config_.max_retransmit_timeout);
}

template <typename Outgoing, typename Incoming>
void ControlChannel<Outgoing, Incoming>::transmit_window() {
  while (!dead_ && !unsent_.empty() && in_flight_.size() < send_limit()) {
    in_flight_.push_back(Pending{next_ns_, std::move(unsent_.front())});
    unsent_.pop_front();
    ++next_ns_;
    ++stats_.messages_sent;
    if (!retransmit_alarm_->armed()) retransmit_alarm_->arm(current_timeout_);
    transmit(in_flight_.back());
  }
}

template <typename Outgoing, typename Incoming>
void ControlChannel<Outgoing, Incoming>::transmit(const Pending& pending) {
  // Every message carries Nr, so it settles whatever acknowledgement we owe.
  ack_owed_ = false;
  ack_alarm_->cancel();
  output_.transmit(pending.ns, next_nr_, pending.message);
}

template <typename Outgoing, typename Incoming>
void ControlChannel<Outgoing, Incoming>::send_ack() {
  ack_owed_ = false;
  ack_alarm_->cancel();
  ++stats_.acks_sent;
  output_.transmit_acknowledgement(next_ns_, next_nr_);
}

template <typename Outgoing, typename Incoming>
void ControlChannel<Outgoing, Incoming>::owe_ack() {
  ack_owed_ = true;
  // Not re-armed per message: a steady stream must not postpone the ack forever.
  if (!ack_alarm_->armed()) ack_alarm_->arm(config_.ack_delay);
}

template <typename Outgoing, typename Incoming>
void ControlChannel<Outgoing, Incoming>::on_ack_alarm() {
  if (ack_owed_ && !dead_) send_ack();
}

// ---- Acknowledgements from the peer ----------------------------------------

template <typename Outgoing, typename Incoming>
void ControlChannel<Outgoing, Incoming>::process_nr(std::uint16_t nr) {
  const std::uint16_t acknowledged = detail::distance(oldest_unacknowledged(), nr);
  if (acknowledged >= detail::kHalfSequenceSpace) return;  // older than what we know: stale
  if (acknowledged > in_flight_.size()) {
    ++stats_.invalid_acks;
    return;
  }
  if (acknowledged == 0) return;

  in_flight_.erase(in_flight_.begin(), in_flight_.begin() + acknowledged);
  grow_congestion_window(acknowledged);
  tries_ = 0;
  current_timeout_ = first_timeout();
  if (in_flight_.empty())
    retransmit_alarm_->cancel();
  else
    retransmit_alarm_->arm(current_timeout_);
}

template <typename Outgoing, typename Incoming>
void ControlChannel<Outgoing, Incoming>::grow_congestion_window(std::size_t newly_acknowledged) {
  for (std::size_t i = 0; i < newly_acknowledged; ++i) {
    if (congestion_window_ < slow_start_threshold_) {
      ++congestion_window_;
    } else if (++acks_in_avoidance_ >= congestion_window_) {
      acks_in_avoidance_ = 0;
      ++congestion_window_;
    }
  }
  // RFC 2661 Appendix A: CWND never exceeds the advertised window.
  congestion_window_ = std::min<std::uint32_t>(congestion_window_, peer_window_);
}

template <typename Outgoing, typename Incoming>
void ControlChannel<Outgoing, Incoming>::on_retransmit_alarm() {
  if (dead_ || in_flight_.empty()) return;
  if (tries_ >= config_.max_retransmits) {
    declare_peer_dead();
    return;
  }
  ++tries_;
  ++stats_.retransmits;
  slow_start_threshold_ = std::max<std::uint32_t>(congestion_window_ / 2, 1);
  congestion_window_ = 1;
  acks_in_avoidance_ = 0;
  current_timeout_ = std::min(current_timeout_ * 2, config_.max_retransmit_timeout);
  retransmit_alarm_->arm(current_timeout_);
  transmit(in_flight_.front());
}

template <typename Outgoing, typename Incoming>
void ControlChannel<Outgoing, Incoming>::declare_peer_dead() {
  dead_ = true;
  retransmit_alarm_->cancel();
  ack_alarm_->cancel();
  hello_alarm_->cancel();
  events_.on_peer_dead();  // last: the owner may destroy the channel
}

// ---- Messages from the peer -------------------------------------------------

template <typename Outgoing, typename Incoming>
bool ControlChannel<Outgoing, Incoming>::deliver_in_order(const Incoming& first) {
  detail::LifetimeWatch watch(lifetime_watch_);
  // Nr advances before the owner sees the message so that a reply sent from
  // on_message() carries the acknowledgement.
  ++next_nr_;
  ++stats_.messages_delivered;
  owe_ack();
  events_.on_message(first);
  if (watch.destroyed()) return false;

  for (auto queued = reorder_.find(next_nr_); queued != reorder_.end();
       queued = reorder_.find(next_nr_)) {
    // Moved out first: the owner may re-enter receive() and change the map.
    const Incoming message = std::move(queued->second);
    reorder_.erase(queued);
    ++next_nr_;
    ++stats_.messages_delivered;
    owe_ack();
    events_.on_message(message);
    if (watch.destroyed()) return false;
  }
  return true;
}

// ---- HELLO -----------------------------------------------------------------

template <typename Outgoing, typename Incoming>
void ControlChannel<Outgoing, Incoming>::on_hello_alarm() {
  if (dead_ || hello_stopped_) return;
  // The alarm is not moved on every received packet; it checks here instead.
  const auto quiet = std::chrono::duration_cast<Duration>(clock_.now() - last_received_);
  if (quiet < config_.hello_interval) {
    hello_alarm_->arm(config_.hello_interval - quiet);
    return;
  }
  hello_alarm_->arm(config_.hello_interval);
  if (!in_flight_.empty()) return;
  events_.on_idle();  // last: the owner may destroy the channel
}

}  // namespace l2tp::transport
