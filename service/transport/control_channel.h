// The reliable delivery of control messages (RFC 2661 §5.8 and Appendix A,
// RFC 3931 §4.2): Ns/Nr with 16-bit wraparound, the peer's receive window,
// slow start and congestion avoidance, retransmission with a capped doubling
// timeout, in-order exactly-once delivery with a reorder queue, delayed
// acknowledgement by ZLB (v2) or ACK (v3), and HELLO after idle time.
//
// The channel never parses AVPs: it moves opaque message bodies. The owner
// (a tunnel) frames them (header, digest) in ChannelOutput::transmit.
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
  std::uint16_t receive_window = 16;      // what we advertise and accept ahead of Nr
  Duration hello_interval{60000};         // idle time before HELLO; 0 disables
  Duration ack_delay{200};                // wait for a reply to piggyback on before a ZLB/ACK
};

struct ChannelStats {
  std::uint64_t messages_sent = 0;  // first transmissions of reliable messages
  std::uint64_t retransmits = 0;
  std::uint64_t acks_sent = 0;  // ZLB / ACK messages
  std::uint64_t messages_delivered = 0;
  std::uint64_t duplicates = 0;        // already delivered: re-acknowledged, dropped
  std::uint64_t out_of_window = 0;     // beyond our window: dropped
  std::uint64_t queued_out_of_order = 0;
};

class ChannelOutput {
 public:
  virtual ~ChannelOutput() = default;
  // Frame and send one message with these sequence numbers. An empty body is
  // a pure acknowledgement (ZLB for v2, ACK message for v3).
  virtual void transmit(std::uint16_t ns, std::uint16_t nr, wire::ByteView body) = 0;
};

class ChannelEvents {
 public:
  virtual ~ChannelEvents() = default;
  // In order, exactly once.
  virtual void on_message(wire::ByteView body) = 0;
  // The hello interval passed without any message from the peer; the owner
  // sends a HELLO through send().
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
  void send(wire::Bytes body);

  // Feeds a received control message after header decoding and digest checks:
  // processes Nr (acknowledges our messages), then Ns. `body` empty means a
  // ZLB or ACK, which carries no Ns of its own.
  void receive(std::uint16_t ns, std::uint16_t nr, wire::ByteView body);

  // The peer's Receive Window Size once known (4 until then, RFC 2661 §5.8).
  void set_peer_window(std::uint16_t window);

  // Sends an acknowledgement now rather than after ack_delay (e.g. for a
  // StopCCN that will be followed by no reply).
  void acknowledge_now();

  // Stops HELLOs (e.g. once a StopCCN was sent or received).
  void stop_hello();

  // Nothing is waiting to be sent or acknowledged.
  bool idle() const;
  std::uint16_t next_send_sequence() const { return next_ns_; }
  std::uint16_t next_receive_sequence() const { return next_nr_; }
  const ChannelStats& stats() const { return stats_; }

 private:
  struct Pending;
  // Implementation state (owned by control_channel.cpp); listed here so the
  // owner can be allocated in one piece.
  void transmit_window();
  void on_retransmit_alarm();
  void on_ack_alarm();
  void on_hello_alarm();
  void process_nr(std::uint16_t nr);
  void restart_hello_timer();

  ChannelConfig config_;
  const Clock& clock_;
  ChannelOutput& output_;
  ChannelEvents& events_;
  std::unique_ptr<Alarm> retransmit_alarm_;
  std::unique_ptr<Alarm> ack_alarm_;
  std::unique_ptr<Alarm> hello_alarm_;

  std::uint16_t next_ns_ = 0;  // Ns of the next new message
  std::uint16_t next_nr_ = 0;  // Ns we expect next from the peer
  std::uint16_t peer_window_ = 4;
  std::uint32_t congestion_window_ = 1;
  std::uint32_t slow_start_threshold_ = 4;
  std::uint32_t acks_in_avoidance_ = 0;
  unsigned tries_ = 0;
  Duration current_timeout_{1000};

  std::deque<wire::Bytes> unsent_;  // queued behind the window
  std::deque<std::unique_ptr<Pending>> in_flight_;  // sent, unacknowledged, in Ns order
  std::map<std::uint16_t, wire::Bytes> reorder_;    // received ahead of next_nr_, keyed by offset
  bool hello_stopped_ = false;
  ChannelStats stats_;
};

}  // namespace l2tp::transport
