// The data plane of a kernel without L2TP: every request fails (on the next
// turn of the loop), with a message that names the modules to load. The
// daemon refuses what it can up front; this answers what peers start.
#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <string>

#include "fsm/engine.h"
#include "fsm/ports.h"
#include "kernel/l2tp_probe.h"

namespace l2tp::daemon {

class UnavailableDataPlane final : public fsm::DataPlane {
 public:
  explicit UnavailableDataPlane(AlarmFactory& alarms)
      : alarm_(alarms.create([this] { flush(); })) {}
  void attach(fsm::Engine& engine) { engine_ = &engine; }

  static std::string reason() {
    return std::string("the kernel has no L2TP data plane: load ") + kernel::kL2tpModules;
  }

  void create_tunnel(const fsm::KernelTunnelParams& params) override {
    defer([id = params.tunnel_id](fsm::Engine& e) { e.data_plane_tunnel_failed(id, reason()); });
  }
  void delete_tunnel(std::uint32_t) override {}
  void create_session(const fsm::KernelSessionParams& params) override {
    defer([t = params.tunnel_id, s = params.session_id](fsm::Engine& e) {
      e.data_plane_session_failed(t, s, reason());
    });
  }
  void delete_session(std::uint32_t, std::uint32_t) override {}
  void start_ppp(const fsm::PppStartParams& params) override {
    defer([t = params.session.tunnel_id, s = params.session.session_id](fsm::Engine& e) {
      e.data_plane_session_failed(t, s, reason());
    });
  }
  void stop_ppp(std::uint32_t, std::uint32_t) override {}

 private:
  void defer(std::function<void(fsm::Engine&)> answer) {
    answers_.push_back(std::move(answer));
    if (!alarm_->armed()) alarm_->arm(Duration::zero());
  }
  void flush() {
    auto answers = std::move(answers_);
    answers_.clear();
    for (auto& answer : answers)
      if (engine_) answer(*engine_);
  }

  fsm::Engine* engine_ = nullptr;
  std::unique_ptr<Alarm> alarm_;
  std::deque<std::function<void(fsm::Engine&)>> answers_;
};

}  // namespace l2tp::daemon
