// Time as every room sees it: an injected clock and alarms. The daemon
// backs them with sd-event; tests with a fake clock they advance by hand.
#pragma once

#include <chrono>
#include <functional>
#include <memory>

namespace l2tp {

using Duration = std::chrono::milliseconds;
using TimePoint = std::chrono::steady_clock::time_point;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
};

// A one-shot timer. Destroying it cancels it, so an object that owns its
// alarms can never be called back after it is gone.
class Alarm {
 public:
  virtual ~Alarm() = default;
  virtual void arm(Duration after) = 0;  // replaces any earlier deadline
  virtual void cancel() = 0;
  virtual bool armed() const = 0;
};

class AlarmFactory {
 public:
  virtual ~AlarmFactory() = default;
  virtual std::unique_ptr<Alarm> create(std::function<void()> on_fire) = 0;
  // An alarm that may fire up to `slack` late, so that the loop can wake
  // once for many of them (HELLO timers of thousands of idle tunnels).
  // Fakes fire it on time.
  virtual std::unique_ptr<Alarm> create_lax(std::function<void()> on_fire, Duration slack) {
    static_cast<void>(slack);
    return create(std::move(on_fire));
  }
};

}  // namespace l2tp
