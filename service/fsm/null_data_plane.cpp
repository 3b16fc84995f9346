#include "fsm/null_data_plane.h"

#include <utility>

#include "fsm/engine.h"

namespace l2tp::fsm {

NullDataPlane::NullDataPlane(AlarmFactory& alarms) : alarm_(alarms.create([this] { flush(); })) {}

NullDataPlane::~NullDataPlane() = default;

void NullDataPlane::create_tunnel(const KernelTunnelParams& params) {
  const std::uint32_t tunnel_id = params.tunnel_id;
  defer([tunnel_id](Engine& engine) { engine.data_plane_tunnel_ready(tunnel_id); });
}

void NullDataPlane::delete_tunnel(std::uint32_t) {}

void NullDataPlane::create_session(const KernelSessionParams& params) {
  const std::uint32_t tunnel_id = params.tunnel_id;
  const std::uint32_t session_id = params.session_id;
  defer([tunnel_id, session_id](Engine& engine) {
    engine.data_plane_session_ready(tunnel_id, session_id, "");
  });
}

void NullDataPlane::delete_session(std::uint32_t, std::uint32_t) {}

void NullDataPlane::start_ppp(const PppStartParams& params) {
  const std::uint32_t tunnel_id = params.session.tunnel_id;
  const std::uint32_t session_id = params.session.session_id;
  defer([tunnel_id, session_id](Engine& engine) {
    engine.ppp_network_up(tunnel_id, session_id, PppAddresses{});
  });
}

void NullDataPlane::stop_ppp(std::uint32_t, std::uint32_t) {}

void NullDataPlane::defer(std::function<void(Engine&)> answer) {
  answers_.push_back(std::move(answer));
  if (!alarm_->armed()) alarm_->arm(Duration::zero());
}

void NullDataPlane::flush() {
  // Answers can make the engine ask for more; those wait for the next turn,
  // so one turn never runs unbounded.
  std::deque<std::function<void(Engine&)>> due;
  due.swap(answers_);
  for (auto& answer : due) {
    if (engine_ != nullptr) answer(*engine_);
  }
}

}  // namespace l2tp::fsm
