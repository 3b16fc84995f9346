// A clock that moves only when a test advances it, and alarms that fire in
// deadline order as it does. Deterministic: equal deadlines fire in the order
// they were armed.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <utility>

#include "core/timing.h"

namespace l2tp::testing {

class FakeClock final : public Clock, public AlarmFactory {
 public:
  TimePoint now() const override { return now_; }
  std::unique_ptr<Alarm> create(std::function<void()> on_fire) override;

  // Moves time forward by `d`, firing every alarm that falls due on the way
  // (alarms armed by callbacks included) at its own deadline.
  void advance(Duration d);
  // Fires the next alarm (moving time to it); false if none is armed.
  bool run_next();
  // Runs alarms until none is armed or `limit` passes; returns the time used.
  Duration run_until_idle(Duration limit);
  std::size_t armed_count() const { return queue_.size(); }

 private:
  class FakeAlarm;
  using Key = std::pair<TimePoint, std::uint64_t>;
  TimePoint now_{};
  std::uint64_t sequence_ = 0;
  std::map<Key, FakeAlarm*> queue_;
  friend class FakeAlarm;
};

}  // namespace l2tp::testing
