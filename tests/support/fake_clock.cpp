#include "fake_clock.h"

namespace l2tp::testing {

class FakeClock::FakeAlarm final : public Alarm {
 public:
  FakeAlarm(FakeClock& clock, std::function<void()> on_fire)
      : clock_(clock), on_fire_(std::move(on_fire)) {}
  ~FakeAlarm() override { cancel(); }

  void arm(Duration after) override {
    cancel();
    key_ = {clock_.now_ + after, clock_.sequence_++};
    clock_.queue_.emplace(key_, this);
    armed_ = true;
  }
  void cancel() override {
    if (armed_) clock_.queue_.erase(key_);
    armed_ = false;
  }
  bool armed() const override { return armed_; }

  void fire() {
    armed_ = false;
    // The callback may destroy this alarm; copy nothing after it.
    on_fire_();
  }

 private:
  FakeClock& clock_;
  std::function<void()> on_fire_;
  Key key_{};
  bool armed_ = false;
};

std::unique_ptr<Alarm> FakeClock::create(std::function<void()> on_fire) {
  return std::make_unique<FakeAlarm>(*this, std::move(on_fire));
}

bool FakeClock::run_next() {
  if (queue_.empty()) return false;
  auto it = queue_.begin();
  FakeAlarm* alarm = it->second;
  if (it->first.first > now_) now_ = it->first.first;
  queue_.erase(it);
  alarm->fire();
  return true;
}

void FakeClock::advance(Duration d) {
  const TimePoint end = now_ + d;
  while (!queue_.empty() && queue_.begin()->first.first <= end) run_next();
  now_ = end;
}

Duration FakeClock::run_until_idle(Duration limit) {
  const TimePoint start = now_;
  const TimePoint end = now_ + limit;
  while (!queue_.empty() && queue_.begin()->first.first <= end) run_next();
  return std::chrono::duration_cast<Duration>(now_ - start);
}

}  // namespace l2tp::testing
