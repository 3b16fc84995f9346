// A ControlChannel over plain byte strings whose owner records everything:
// each transmission with its time and sequence numbers, each delivered body,
// each event. Tests play the peer by calling receive() by hand, so every time
// and number is exact.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "fake_clock.h"
#include "transport/control_channel.h"
#include "wire/bytes.h"

namespace l2tp::transport::test {

using namespace std::chrono_literals;

inline wire::Bytes text(std::string_view s) {
  return {s.begin(), s.end()};
}

using BytesChannel = ControlChannel<wire::Bytes, wire::Bytes>;

struct Transmission {
  Duration at;
  std::uint16_t ns;
  std::uint16_t nr;
  std::string body;              // empty for an acknowledgement
  bool acknowledgement = false;  // ZLB / ACK
  bool is_ack() const { return acknowledgement; }
};

// Configuration with HELLO off, so that a test waiting for silence gets it.
inline ChannelConfig quiet_config() {
  ChannelConfig config;
  config.hello_interval = Duration::zero();
  return config;
}

class RecordingOwner : public ChannelOutput<wire::Bytes>, public ChannelEvents<wire::Bytes> {
 public:
  explicit RecordingOwner(const ChannelConfig& config = quiet_config())
      : channel(std::make_unique<BytesChannel>(config, clock, clock, *this, *this)) {}

  void transmit(std::uint16_t ns, std::uint16_t nr, const wire::Bytes& body) override {
    sent.push_back({elapsed(), ns, nr, wire::to_string(body)});
  }
  void transmit_acknowledgement(std::uint16_t ns, std::uint16_t nr) override {
    sent.push_back({elapsed(), ns, nr, {}, true});
  }
  void on_message(const wire::Bytes& body) override {
    if (record_deliveries) delivered.push_back(wire::to_string(body));
    ++delivered_count;
    if (when_message) when_message(wire::to_string(body));
  }
  void on_idle() override {
    idle_at.push_back(elapsed());
    if (when_idle) when_idle();
  }
  void on_peer_dead() override {
    dead_at.push_back(elapsed());
    if (when_dead) when_dead();
  }

  Duration elapsed() const {
    return std::chrono::duration_cast<Duration>(clock.now() - TimePoint{});
  }

  // The peer's side of the conversation.
  void peer_sends(std::uint16_t ns, std::uint16_t nr, std::string_view body) {
    channel->receive(ns, nr, text(body));
  }
  void peer_acks(std::uint16_t nr) { channel->receive_acknowledgement(nr); }
  // Acknowledges everything the channel has transmitted so far.
  void peer_acks_everything() { peer_acks(channel->next_send_sequence()); }

  std::vector<Transmission> reliable_since(std::size_t from) const {
    std::vector<Transmission> out;
    for (std::size_t i = from; i < sent.size(); ++i)
      if (!sent[i].is_ack()) out.push_back(sent[i]);
    return out;
  }
  std::vector<Transmission> acks_since(std::size_t from) const {
    std::vector<Transmission> out;
    for (std::size_t i = from; i < sent.size(); ++i)
      if (sent[i].is_ack()) out.push_back(sent[i]);
    return out;
  }

  // Declared first: the channel's alarms belong to it and must die before it.
  l2tp::testing::FakeClock clock;
  std::unique_ptr<BytesChannel> channel;

  std::vector<Transmission> sent;
  std::vector<std::string> delivered;
  std::size_t delivered_count = 0;
  bool record_deliveries = true;
  std::vector<Duration> idle_at;
  std::vector<Duration> dead_at;

  std::function<void(const std::string&)> when_message;
  std::function<void()> when_idle;
  std::function<void()> when_dead;
};

}  // namespace l2tp::transport::test
