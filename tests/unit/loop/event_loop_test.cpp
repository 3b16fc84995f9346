// The sd-event loop behind the engine's ports: alarms, fds, signals, children.
#include "loop/event_loop.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <vector>

namespace l2tp::loop {
namespace {

using std::chrono::milliseconds;

std::unique_ptr<EventLoop> make_loop() {
  auto loop = EventLoop::create();
  EXPECT_TRUE(loop.has_value());
  return std::move(*loop);
}

TEST(EventLoopTest, AlarmsFireInDeadlineOrderAndNotBefore) {
  auto loop = make_loop();
  std::vector<int> fired;
  const TimePoint start = loop->now();
  TimePoint second_fired_at{};
  auto late = loop->create([&] {
    fired.push_back(2);
    second_fired_at = loop->now();
    loop->exit(0);
  });
  auto early = loop->create([&] { fired.push_back(1); });
  late->arm(milliseconds(30));
  early->arm(milliseconds(5));
  EXPECT_TRUE(late->armed());
  EXPECT_EQ(loop->run(), 0);
  EXPECT_EQ(fired, (std::vector<int>{1, 2}));
  EXPECT_GE(second_fired_at - start, milliseconds(30));
  EXPECT_FALSE(late->armed());
}

TEST(EventLoopTest, LaxAlarmsFireInOrderAndNeverEarly) {
  // Two lax alarms 20 ms apart with 1 s of slack: sd-event may wake once
  // for both (it picks a time within each alarm's slack), but never before
  // either deadline.
  auto loop = make_loop();
  const TimePoint start = loop->now();
  std::vector<TimePoint> fired_at;
  auto first = loop->create_lax([&] { fired_at.push_back(loop->now()); }, milliseconds(1000));
  auto second = loop->create_lax(
      [&] {
        fired_at.push_back(loop->now());
        loop->exit(0);
      },
      milliseconds(1000));
  first->arm(milliseconds(10));
  second->arm(milliseconds(30));
  EXPECT_EQ(loop->run(), 0);
  ASSERT_EQ(fired_at.size(), 2u);
  EXPECT_GE(fired_at[0] - start, milliseconds(10));
  EXPECT_GE(fired_at[1] - start, milliseconds(30));
}

TEST(EventLoopTest, CancelledRearmedAndDestroyedAlarms) {
  auto loop = make_loop();
  int cancelled_fires = 0, destroyed_fires = 0, rearmed_fires = 0;
  auto cancelled = loop->create([&] { ++cancelled_fires; });
  auto destroyed = loop->create([&] { ++destroyed_fires; });
  auto rearmed = loop->create([&] { ++rearmed_fires; });
  auto stop = loop->create([&] { loop->exit(0); });
  cancelled->arm(milliseconds(1));
  cancelled->cancel();
  destroyed->arm(milliseconds(1));
  destroyed.reset();
  rearmed->arm(milliseconds(1));
  rearmed->arm(milliseconds(10));  // replaces the first deadline
  stop->arm(milliseconds(40));
  loop->run();
  EXPECT_EQ(cancelled_fires, 0);
  EXPECT_EQ(destroyed_fires, 0);
  EXPECT_EQ(rearmed_fires, 1);
}

TEST(EventLoopTest, AlarmCanRearmItselfFromItsCallback) {
  auto loop = make_loop();
  int fires = 0;
  std::unique_ptr<Alarm> alarm;
  alarm = loop->create([&] {
    if (++fires == 3)
      loop->exit(0);
    else
      alarm->arm(milliseconds(1));
  });
  alarm->arm(milliseconds(1));
  loop->run();
  EXPECT_EQ(fires, 3);
}

TEST(EventLoopTest, FdWatchSeesReadableData) {
  auto loop = make_loop();
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  std::uint32_t seen = 0;
  auto watch = loop->watch_fd(fds[0], EPOLLIN, [&](std::uint32_t revents) {
    seen = revents;
    char byte;
    ASSERT_EQ(read(fds[0], &byte, 1), 1);
    loop->exit(0);
  });
  ASSERT_TRUE(watch.has_value());
  ASSERT_EQ(write(fds[1], "x", 1), 1);
  loop->run();
  EXPECT_TRUE(seen & EPOLLIN);
  watch->reset();
  close(fds[0]);
  close(fds[1]);
}

TEST(EventLoopTest, SignalIsDeliveredToTheLoop) {
  auto loop = make_loop();
  bool got = false;
  auto watch = loop->watch_signal(SIGUSR1, [&] {
    got = true;
    loop->exit(0);
  });
  ASSERT_TRUE(watch.has_value());
  ASSERT_EQ(kill(getpid(), SIGUSR1), 0);
  loop->run();
  EXPECT_TRUE(got);
}

TEST(EventLoopTest, ChildExitStatusIsReported) {
  auto loop = make_loop();
  EventLoop::block_child_signal();
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) _exit(7);
  int code = -1, status = -1;
  auto watch = loop->watch_child(pid, [&](int c, int s) {
    code = c;
    status = s;
    loop->exit(0);
  });
  ASSERT_TRUE(watch.has_value());
  loop->run();
  EXPECT_EQ(code, CLD_EXITED);
  EXPECT_EQ(status, 7);
}

TEST(EventLoopTest, NowFollowsTheMonotonicClock) {
  auto loop = make_loop();
  const auto before = std::chrono::steady_clock::now();
  const auto now = loop->now();
  EXPECT_LE(before - milliseconds(1), now);
  EXPECT_LE(now, std::chrono::steady_clock::now() + milliseconds(1));
}

}  // namespace
}  // namespace l2tp::loop
