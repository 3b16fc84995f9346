// A datagram link between two endpoints that loses, duplicates, reorders and
// delays packets, driven by the fake clock and a seeded generator so a failing
// run can be replayed exactly.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <vector>

#include "fake_clock.h"
#include "wire/bytes.h"

namespace l2tp::testing {

struct LinkImpairment {
  double loss = 0.0;       // probability a datagram vanishes
  double duplicate = 0.0;  // probability it is delivered twice
  double reorder = 0.0;    // probability it gets extra delay (and overtakes nothing else)
  Duration delay{10};      // one-way latency
  Duration reorder_extra{50};
};

// One direction of a link. send() schedules delivery to `deliver` on the clock.
class SimulatedPipe {
 public:
  using Deliver = std::function<void(const wire::Bytes&)>;
  SimulatedPipe(FakeClock& clock, LinkImpairment impairment, std::uint32_t seed);
  void set_receiver(Deliver deliver) { deliver_ = std::move(deliver); }
  void set_impairment(LinkImpairment impairment) { impairment_ = impairment; }
  void send(wire::ByteView datagram);

  std::uint64_t sent() const { return sent_; }
  std::uint64_t dropped() const { return dropped_; }
  std::uint64_t delivered() const { return delivered_; }

 private:
  void schedule(wire::Bytes datagram, Duration after);
  void deliver_due();

  FakeClock& clock_;
  LinkImpairment impairment_;
  std::mt19937 rng_;
  Deliver deliver_;
  // Pending datagrams by arrival time (then send order), behind one alarm.
  std::multimap<TimePoint, wire::Bytes> in_flight_;
  std::unique_ptr<Alarm> alarm_;
  std::uint64_t sent_ = 0, dropped_ = 0, delivered_ = 0;
};

}  // namespace l2tp::testing
