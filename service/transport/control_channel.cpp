#include "transport/control_channel.h"

#include <algorithm>
#include <chrono>
#include <utility>

namespace l2tp::transport {

namespace {

// Sequence numbers are compared in a 2^16 circle (RFC 1982 style): anything
// up to 32767 ahead is "after", anything up to 32768 behind is "before".
constexpr std::uint32_t kHalfSequenceSpace = 32768;
constexpr std::uint16_t kLargestWindow = kHalfSequenceSpace - 1;

std::uint16_t distance(std::uint16_t from, std::uint16_t to) {
  return static_cast<std::uint16_t>(to - from);
}

std::uint16_t clamp_window(std::uint16_t window) {
  return std::clamp<std::uint16_t>(window, 1, kLargestWindow);
}

}  // namespace

// Lets a method that calls into the owner learn whether the owner destroyed
// the channel meanwhile. Watches nest (an event may re-enter the channel and
// trigger another event); the destructor marks every watch in the chain.
class ControlChannel::LifetimeWatch {
 public:
  explicit LifetimeWatch(ControlChannel& channel)
      : channel_(channel), outer_(channel.lifetime_watch_) {
    channel.lifetime_watch_ = this;
  }
  ~LifetimeWatch() {
    if (!destroyed_) channel_.lifetime_watch_ = outer_;
  }
  LifetimeWatch(const LifetimeWatch&) = delete;
  LifetimeWatch& operator=(const LifetimeWatch&) = delete;

  bool destroyed() const { return destroyed_; }

 private:
  friend class ControlChannel;
  ControlChannel& channel_;
  LifetimeWatch* outer_;
  bool destroyed_ = false;
};

ControlChannel::ControlChannel(const ChannelConfig& config, const Clock& clock,
                               AlarmFactory& alarms, ChannelOutput& output, ChannelEvents& events)
    : config_(config),
      clock_(clock),
      output_(output),
      events_(events),
      retransmit_alarm_(alarms.create([this] { on_retransmit_alarm(); })),
      ack_alarm_(alarms.create([this] { on_ack_alarm(); })),
      hello_alarm_(alarms.create([this] { on_hello_alarm(); })),
      last_received_(clock.now()) {
  config_.receive_window = clamp_window(config_.receive_window);
  current_timeout_ = first_timeout();
  if (config_.hello_interval > Duration::zero()) hello_alarm_->arm(config_.hello_interval);
}

ControlChannel::~ControlChannel() {
  for (LifetimeWatch* watch = lifetime_watch_; watch != nullptr; watch = watch->outer_)
    watch->destroyed_ = true;
}

void ControlChannel::send(wire::Bytes body) {
  if (dead_ || body.empty()) return;
  unsent_.push_back(std::move(body));
  transmit_window();
}

void ControlChannel::receive(std::uint16_t ns, std::uint16_t nr, wire::ByteView body) {
  if (dead_) return;
  last_received_ = clock_.now();
  process_nr(nr);

  bool acknowledge_promptly = false;
  if (!body.empty()) {
    const std::uint16_t offset = distance(next_nr_, ns);
    if (offset == 0) {
      if (!deliver_in_order(body)) return;
    } else if (offset >= kHalfSequenceSpace) {
      // Already delivered: our acknowledgement must have been lost.
      ++stats_.duplicates;
      ack_owed_ = true;
      acknowledge_promptly = true;
    } else if (offset < config_.receive_window) {
      if (reorder_.try_emplace(ns, body.begin(), body.end()).second)
        ++stats_.queued_out_of_order;
      else
        ++stats_.duplicates;
    } else {
      ++stats_.out_of_window;
    }
  }

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

void ControlChannel::set_peer_window(std::uint16_t window) {
  if (dead_) return;
  peer_window_ = clamp_window(window);
  slow_start_threshold_ = peer_window_;
  congestion_window_ = std::min<std::uint32_t>(congestion_window_, peer_window_);
  transmit_window();
}

void ControlChannel::acknowledge_now() {
  if (dead_) return;
  send_ack();
}

void ControlChannel::stop_hello() {
  hello_stopped_ = true;
  hello_alarm_->cancel();
}

bool ControlChannel::idle() const {
  return unsent_.empty() && in_flight_.empty() && !ack_owed_;
}

// ---- Sending ----------------------------------------------------------------

std::size_t ControlChannel::send_limit() const {
  return std::min<std::uint32_t>(peer_window_, congestion_window_);
}

std::uint16_t ControlChannel::oldest_unacknowledged() const {
  return static_cast<std::uint16_t>(next_ns_ - in_flight_.size());
}

Duration ControlChannel::first_timeout() const {
  return std::min(config_.retransmit_timeout, config_.max_retransmit_timeout);
}

void ControlChannel::transmit_window() {
  while (!dead_ && !unsent_.empty() && in_flight_.size() < send_limit()) {
    in_flight_.push_back(Pending{next_ns_, std::move(unsent_.front())});
    unsent_.pop_front();
    ++next_ns_;
    ++stats_.messages_sent;
    if (!retransmit_alarm_->armed()) retransmit_alarm_->arm(current_timeout_);
    transmit(in_flight_.back());
  }
}

void ControlChannel::transmit(const Pending& message) {
  // Every message carries Nr, so it settles whatever acknowledgement we owe.
  ack_owed_ = false;
  ack_alarm_->cancel();
  output_.transmit(message.ns, next_nr_, message.body);
}

void ControlChannel::send_ack() {
  ack_owed_ = false;
  ack_alarm_->cancel();
  ++stats_.acks_sent;
  output_.transmit(next_ns_, next_nr_, {});
}

void ControlChannel::owe_ack() {
  ack_owed_ = true;
  // Not re-armed per message: a steady stream must not postpone the ack forever.
  if (!ack_alarm_->armed()) ack_alarm_->arm(config_.ack_delay);
}

void ControlChannel::on_ack_alarm() {
  if (ack_owed_ && !dead_) send_ack();
}

// ---- Acknowledgements from the peer ----------------------------------------

void ControlChannel::process_nr(std::uint16_t nr) {
  const std::uint16_t acknowledged = distance(oldest_unacknowledged(), nr);
  if (acknowledged >= kHalfSequenceSpace) return;  // older than what we know: stale, reordered
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

void ControlChannel::grow_congestion_window(std::size_t newly_acknowledged) {
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

void ControlChannel::on_retransmit_alarm() {
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

void ControlChannel::declare_peer_dead() {
  dead_ = true;
  retransmit_alarm_->cancel();
  ack_alarm_->cancel();
  hello_alarm_->cancel();
  events_.on_peer_dead();  // last: the owner may destroy the channel
}

// ---- Messages from the peer -------------------------------------------------

bool ControlChannel::deliver_in_order(wire::ByteView first) {
  LifetimeWatch watch(*this);
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
    wire::Bytes body = std::move(queued->second);
    reorder_.erase(queued);
    ++next_nr_;
    ++stats_.messages_delivered;
    owe_ack();
    events_.on_message(body);
    if (watch.destroyed()) return false;
  }
  return true;
}

// ---- HELLO -----------------------------------------------------------------

void ControlChannel::on_hello_alarm() {
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
