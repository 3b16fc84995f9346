#include "simulated_link.h"

namespace l2tp::testing {

SimulatedPipe::SimulatedPipe(FakeClock& clock, LinkImpairment impairment, std::uint32_t seed)
    : clock_(clock),
      impairment_(impairment),
      rng_(seed),
      alarm_(clock.create([this] { deliver_due(); })) {}

void SimulatedPipe::send(wire::ByteView datagram) {
  ++sent_;
  std::uniform_real_distribution<double> chance(0.0, 1.0);
  if (chance(rng_) < impairment_.loss) {
    ++dropped_;
    return;
  }
  const int copies = chance(rng_) < impairment_.duplicate ? 2 : 1;
  for (int i = 0; i < copies; ++i) {
    Duration after = impairment_.delay;
    if (chance(rng_) < impairment_.reorder) after += impairment_.reorder_extra;
    schedule(wire::Bytes(datagram.begin(), datagram.end()), after);
  }
}

void SimulatedPipe::schedule(wire::Bytes datagram, Duration after) {
  in_flight_.emplace(clock_.now() + after, std::move(datagram));
  alarm_->arm(std::chrono::duration_cast<Duration>(in_flight_.begin()->first - clock_.now()));
}

void SimulatedPipe::deliver_due() {
  while (!in_flight_.empty() && in_flight_.begin()->first <= clock_.now()) {
    wire::Bytes datagram = std::move(in_flight_.begin()->second);
    in_flight_.erase(in_flight_.begin());
    ++delivered_;
    // The receiver may send on this pipe again; the queue stays consistent.
    if (deliver_) deliver_(datagram);
  }
  if (!in_flight_.empty())
    alarm_->arm(std::chrono::duration_cast<Duration>(in_flight_.begin()->first - clock_.now()));
}

}  // namespace l2tp::testing
