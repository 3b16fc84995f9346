#include "dbus/bus_pump.h"

#include <poll.h>
#include <sdbus-c++/Error.h>
#include <sdbus-c++/IConnection.h>
#include <sys/epoll.h>
#include <systemd/sd-event.h>

#include <chrono>
#include <cstdint>
#include <limits>
#include <utility>

namespace l2tp::dbus {

namespace {

std::uint32_t to_epoll_events(short poll_events) {
  std::uint32_t events = 0;
  if ((poll_events & POLLIN) != 0) events |= EPOLLIN;
  if ((poll_events & POLLOUT) != 0) events |= EPOLLOUT;
  if ((poll_events & POLLPRI) != 0) events |= EPOLLPRI;
  return events;
}

}  // namespace

std::expected<std::unique_ptr<BusPump>, std::string> BusPump::attach(loop::EventLoop& loop,
                                                                     sdbus::IConnection& bus,
                                                                     OnFailure on_failure) {
  std::unique_ptr<BusPump> pump(new BusPump(loop, bus, std::move(on_failure)));
  int fd = -1;
  try {
    fd = bus.getEventLoopPollData().fd;
  } catch (const sdbus::Error& error) {
    return std::unexpected("cannot watch the bus connection: " + error.getMessage());
  }
  BusPump* self = pump.get();
  auto io = loop.watch_fd(fd, EPOLLIN, [self](std::uint32_t) { self->pump(); });
  if (!io)
    return std::unexpected("cannot watch the bus connection: error " + std::to_string(-io.error()));
  pump->io_ = std::move(*io);
  pump->alarm_ = loop.create([self] { self->pump(); });
  // Post sources run after any iteration that dispatched something else: the
  // moment to notice output or input that another callback left queued.
  const int r = sd_event_add_post(loop.raw(), &pump->post_, &BusPump::on_post, self);
  if (r < 0) return std::unexpected("cannot watch the bus connection: error " + std::to_string(-r));
  // Anything queued before the pump existed (the Hello reply, name requests).
  pump->pump();
  return pump;
}

BusPump::BusPump(loop::EventLoop& loop, sdbus::IConnection& bus, OnFailure on_failure)
    : loop_(loop), bus_(bus), on_failure_(std::move(on_failure)) {}

BusPump::~BusPump() {
  sd_event_source_disable_unref(post_);
}

int BusPump::on_post(sd_event_source*, void* userdata) {
  static_cast<BusPump*>(userdata)->refresh();
  return 0;
}

void BusPump::pump() {
  if (failed_) return;
  try {
    while (bus_.processPendingRequest()) {
    }
  } catch (const sdbus::Error& error) {
    fail(error.getMessage());
    return;
  }
  refresh();
}

void BusPump::refresh() {
  if (failed_) return;
  sdbus::IConnection::PollData poll{};
  try {
    poll = bus_.getEventLoopPollData();
  } catch (const sdbus::Error& error) {
    fail(error.getMessage());
    return;
  }
  io_->set_events(to_epoll_events(poll.events));
  if (poll.timeout_usec == std::numeric_limits<std::uint64_t>::max()) {
    alarm_->cancel();
    return;
  }
  // timeout_usec is absolute on CLOCK_MONOTONIC, the loop's clock.
  const auto deadline = TimePoint(std::chrono::microseconds(poll.timeout_usec));
  const auto remaining = deadline - loop_.now();
  alarm_->arm(remaining <= TimePoint::duration::zero() ? Duration::zero()
                                                       : std::chrono::ceil<Duration>(remaining));
}

void BusPump::fail(const std::string& reason) {
  failed_ = true;
  io_.reset();
  alarm_->cancel();
  sd_event_source_set_enabled(post_, SD_EVENT_OFF);
  if (on_failure_) on_failure_(reason);
}

}  // namespace l2tp::dbus
