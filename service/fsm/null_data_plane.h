// The data plane for control-plane-only operation (`--data-plane null`) and
// tests: creates nothing, and answers every request with success on the next
// turn of the loop (a zero-delay alarm), never from inside the call.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>

#include "fsm/ports.h"
#include "transport/timing.h"

namespace l2tp::fsm {

class Engine;

class NullDataPlane final : public DataPlane {
 public:
  explicit NullDataPlane(AlarmFactory& alarms);
  ~NullDataPlane() override;
  // The engine to answer; set once it is constructed (it needs this port first).
  void attach(Engine& engine) { engine_ = &engine; }

  void create_tunnel(const KernelTunnelParams& params) override;
  void delete_tunnel(std::uint32_t tunnel_id) override;
  void create_session(const KernelSessionParams& params) override;
  void delete_session(std::uint32_t tunnel_id, std::uint32_t session_id) override;
  // Answers ppp_network_up with no addresses: nothing runs PPP here.
  void start_ppp(const PppStartParams& params) override;
  void stop_ppp(std::uint32_t tunnel_id, std::uint32_t session_id) override;

 private:
  void defer(std::function<void(Engine&)> answer);
  void flush();

  Engine* engine_ = nullptr;
  std::unique_ptr<Alarm> alarm_;
  std::deque<std::function<void(Engine&)>> answers_;
};

}  // namespace l2tp::fsm
