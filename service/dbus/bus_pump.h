// Runs an sdbus-c++ connection on the daemon's sd-event loop, in the loop's
// one thread: a watch on the bus fd and an alarm for sd-bus's own deadline
// (method call timeouts, queued input), both refreshed from
// getEventLoopPollData() after processing and after every loop iteration,
// since replies and signals sent from other callbacks can leave output queued.
#pragma once

#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <string>

#include "loop/event_loop.h"

struct sd_event_source;

namespace sdbus {
class IConnection;
}

namespace l2tp::dbus {

class BusPump {
 public:
  // Called once when the connection fails (disconnected, broken); the pump
  // then stops watching it.
  using OnFailure = std::function<void(const std::string& reason)>;

  static std::expected<std::unique_ptr<BusPump>, std::string> attach(loop::EventLoop& loop,
                                                                     sdbus::IConnection& bus,
                                                                     OnFailure on_failure);
  ~BusPump();
  BusPump(const BusPump&) = delete;
  BusPump& operator=(const BusPump&) = delete;

  // Dispatches everything pending, then re-arms the watches.
  void pump();

 private:
  BusPump(loop::EventLoop& loop, sdbus::IConnection& bus, OnFailure on_failure);
  void refresh();
  void fail(const std::string& reason);
  static int on_post(sd_event_source* source, void* userdata);

  loop::EventLoop& loop_;
  sdbus::IConnection& bus_;
  OnFailure on_failure_;
  std::unique_ptr<loop::IoWatch> io_;
  std::unique_ptr<Alarm> alarm_;
  sd_event_source* post_ = nullptr;
  bool failed_ = false;
};

}  // namespace l2tp::dbus
