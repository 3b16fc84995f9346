// The daemon's one loop, on libsystemd's sd-event: the engine's Clock and
// AlarmFactory ports, file descriptors, signals and child processes. One
// thread; every callback runs from run().
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <expected>
#include <functional>
#include <memory>

#include "core/timing.h"

struct sd_event;
struct sd_event_source;

namespace l2tp::loop {

// An event source that stops when destroyed, so its owner can never be
// called back after it is gone.
class Watch {
 public:
  explicit Watch(sd_event_source* source) : source_(source) {}
  virtual ~Watch();
  Watch(const Watch&) = delete;
  Watch& operator=(const Watch&) = delete;

 protected:
  sd_event_source* source_;
};

class IoWatch final : public Watch {
 public:
  using Watch::Watch;
  // EPOLLIN / EPOLLOUT / ... as for epoll.
  void set_events(std::uint32_t events);
  // Of the sources ready at once, lower values are dispatched first (0 is
  // the default of every source).
  void set_priority(std::int64_t priority);
};

class EventLoop final : public Clock, public AlarmFactory {
 public:
  // Errors are negative errno values.
  static std::expected<std::unique_ptr<EventLoop>, int> create();
  ~EventLoop() override;
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // CLOCK_MONOTONIC, the same clock as std::chrono::steady_clock.
  TimePoint now() const override;
  std::unique_ptr<Alarm> create(std::function<void()> on_fire) override;
  std::unique_ptr<Alarm> create_lax(std::function<void()> on_fire, Duration slack) override;

  using IoCallback = std::function<void(std::uint32_t revents)>;
  std::expected<std::unique_ptr<IoWatch>, int> watch_fd(int fd, std::uint32_t events,
                                                        IoCallback on_ready);
  // Blocks the signal for the process and delivers it here instead.
  std::expected<std::unique_ptr<Watch>, int> watch_signal(int signal_number,
                                                          std::function<void()> on_signal);
  // `on_exit` gets waitid()'s si_code (CLD_EXITED, CLD_KILLED, ...) and
  // si_status. SIGCHLD must be blocked before the child is forked (see
  // block_child_signal()), so no exit is missed.
  std::expected<std::unique_ptr<Watch>, int> watch_child(
      pid_t pid, std::function<void(int code, int status)> on_exit);
  static void block_child_signal();

  // Runs until exit() is called; returns its code, or a negative errno.
  int run();
  void exit(int code);
  sd_event* raw() const { return event_; }

 private:
  explicit EventLoop(sd_event* event) : event_(event) {}
  sd_event* event_;
};

}  // namespace l2tp::loop
