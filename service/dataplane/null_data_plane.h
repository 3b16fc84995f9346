// The data plane for control-plane-only operation (`--data-plane null`) and
// tests: creates nothing, and answers every request with success on the next
// turn of the loop, never from inside the call.
#pragma once

#include <cstdint>

#include "core/data_plane.h"
#include "core/timing.h"
#include "dataplane/deferred_answers.h"

namespace l2tp::dataplane {

class NullDataPlane final : public DataPlane {
 public:
  NullDataPlane(AlarmFactory& alarms, DataPlaneEvents& events);

  void create_tunnel(const KernelTunnelParams& params) override;
  void delete_tunnel(std::uint32_t tunnel_id) override;
  void create_session(const KernelSessionParams& params) override;
  void delete_session(std::uint32_t tunnel_id, std::uint32_t session_id) override;
  // Answers ppp_network_up with no addresses: nothing runs PPP here.
  void start_ppp(const PppStartParams& params) override;
  void stop_ppp(std::uint32_t tunnel_id, std::uint32_t session_id) override;

 private:
  DeferredAnswers answers_;
};

}  // namespace l2tp::dataplane
