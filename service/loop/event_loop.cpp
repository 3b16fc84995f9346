#include "loop/event_loop.h"

#include <signal.h>
#include <sys/wait.h>
#include <systemd/sd-event.h>
#include <time.h>

#include <chrono>
#include <utility>

namespace l2tp::loop {

namespace {

// Callbacks live on the heap and belong to their source: sd-event frees them
// through the destroy callback when the source goes, whoever drops it.
template <typename Callback>
void attach_callback(sd_event_source* source, Callback* callback) {
  sd_event_source_set_userdata(source, callback);
  sd_event_source_set_destroy_callback(
      source, [](void* userdata) { delete static_cast<Callback*>(userdata); });
}

std::uint64_t to_usec(TimePoint t) {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count());
}

// sd-event reads an accuracy of 0 as its default of 250 ms, which would smear
// retransmission timers; protocol timers want to fire on time.
constexpr std::uint64_t kAccuracyUsec = 1;

class SdEventAlarm final : public Alarm {
 public:
  SdEventAlarm(EventLoop& loop, std::function<void()> on_fire, std::uint64_t accuracy_usec)
      : loop_(loop), on_fire_(std::move(on_fire)), accuracy_usec_(accuracy_usec) {}
  ~SdEventAlarm() override { sd_event_source_disable_unref(source_); }

  void arm(Duration after) override {
    const std::uint64_t deadline = to_usec(loop_.now() + after);
    if (source_ == nullptr) {
      // On failure (out of memory) the alarm stays unarmed; the engine's
      // retransmission and hold timers then never fire, which the caller
      // sees as a peer that never answers rather than a crash.
      if (sd_event_add_time(loop_.raw(), &source_, CLOCK_MONOTONIC, deadline, accuracy_usec_, &fire,
                            this) < 0) {
        source_ = nullptr;
        return;
      }
    } else {
      sd_event_source_set_time(source_, deadline);
    }
    sd_event_source_set_enabled(source_, SD_EVENT_ONESHOT);
  }
  void cancel() override {
    if (source_ != nullptr) sd_event_source_set_enabled(source_, SD_EVENT_OFF);
  }
  bool armed() const override {
    int enabled = SD_EVENT_OFF;
    return source_ != nullptr && sd_event_source_get_enabled(source_, &enabled) > 0;
  }

 private:
  static int fire(sd_event_source*, std::uint64_t, void* userdata) {
    static_cast<SdEventAlarm*>(userdata)->on_fire_();
    return 0;
  }

  EventLoop& loop_;
  std::function<void()> on_fire_;
  std::uint64_t accuracy_usec_;
  sd_event_source* source_ = nullptr;
};

}  // namespace

Watch::~Watch() {
  sd_event_source_disable_unref(source_);
}

void IoWatch::set_events(std::uint32_t events) {
  sd_event_source_set_io_events(source_, events);
}

void IoWatch::set_priority(std::int64_t priority) {
  sd_event_source_set_priority(source_, priority);
}

std::expected<std::unique_ptr<EventLoop>, int> EventLoop::create() {
  sd_event* event = nullptr;
  if (int r = sd_event_new(&event); r < 0) return std::unexpected(r);
  return std::unique_ptr<EventLoop>(new EventLoop(event));
}

EventLoop::~EventLoop() {
  sd_event_unref(event_);
}

TimePoint EventLoop::now() const {
  std::uint64_t usec = 0;
  // Outside a dispatch sd-event has no cached time; ask the kernel then.
  if (sd_event_now(event_, CLOCK_MONOTONIC, &usec) < 0) return std::chrono::steady_clock::now();
  return TimePoint(std::chrono::microseconds(usec));
}

std::unique_ptr<Alarm> EventLoop::create(std::function<void()> on_fire) {
  return std::make_unique<SdEventAlarm>(*this, std::move(on_fire), kAccuracyUsec);
}

std::unique_ptr<Alarm> EventLoop::create_lax(std::function<void()> on_fire, Duration slack) {
  const auto usec = std::chrono::duration_cast<std::chrono::microseconds>(slack).count();
  return std::make_unique<SdEventAlarm>(*this, std::move(on_fire),
                                        std::max<std::uint64_t>(kAccuracyUsec, usec));
}

namespace {

// Creates one sd-event source whose callback is `callback`, owned by the
// source. `add` calls the sd_event_add_* function with the userdata pointer.
template <typename WatchType, typename Callback, typename Add>
std::expected<std::unique_ptr<WatchType>, int> make_watch(Callback callback, Add add) {
  auto* owned = new Callback(std::move(callback));
  sd_event_source* source = nullptr;
  if (int r = add(&source, owned); r < 0) {
    delete owned;
    return std::unexpected(r);
  }
  attach_callback(source, owned);
  return std::make_unique<WatchType>(source);
}

void block_signal(int signal_number) {
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, signal_number);
  sigprocmask(SIG_BLOCK, &mask, nullptr);
}

}  // namespace

std::expected<std::unique_ptr<IoWatch>, int> EventLoop::watch_fd(int fd, std::uint32_t events,
                                                                 IoCallback on_ready) {
  return make_watch<IoWatch>(std::move(on_ready), [&](sd_event_source** source, void* userdata) {
    return sd_event_add_io(
        event_, source, fd, events,
        [](sd_event_source*, int, std::uint32_t revents, void* data) {
          (*static_cast<IoCallback*>(data))(revents);
          return 0;
        },
        userdata);
  });
}

std::expected<std::unique_ptr<Watch>, int> EventLoop::watch_signal(
    int signal_number, std::function<void()> on_signal) {
  block_signal(signal_number);
  using Callback = std::function<void()>;
  return make_watch<Watch>(std::move(on_signal), [&](sd_event_source** source, void* userdata) {
    return sd_event_add_signal(
        event_, source, signal_number,
        [](sd_event_source*, const struct signalfd_siginfo*, void* data) {
          (*static_cast<Callback*>(data))();
          return 0;
        },
        userdata);
  });
}

void EventLoop::block_child_signal() {
  block_signal(SIGCHLD);
}

std::expected<std::unique_ptr<Watch>, int> EventLoop::watch_child(
    pid_t pid, std::function<void(int code, int status)> on_exit) {
  block_child_signal();
  using Callback = std::function<void(int, int)>;
  return make_watch<Watch>(std::move(on_exit), [&](sd_event_source** source, void* userdata) {
    return sd_event_add_child(
        event_, source, pid, WEXITED,
        [](sd_event_source*, const siginfo_t* info, void* data) {
          (*static_cast<Callback*>(data))(info->si_code, info->si_status);
          return 0;
        },
        userdata);
  });
}

int EventLoop::run() {
  return sd_event_loop(event_);
}

void EventLoop::exit(int code) {
  sd_event_exit(event_, code);
}

}  // namespace l2tp::loop
