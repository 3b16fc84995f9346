// The data plane of a kernel without L2TP: every request fails (on the next
// turn of the loop), with a message that names the modules to load. The
// daemon refuses what it can up front; this answers what peers start.
#pragma once

#include <cstdint>
#include <string>

#include "core/data_plane.h"
#include "core/timing.h"
#include "dataplane/deferred_answers.h"
#include "kernel/l2tp_probe.h"

namespace l2tp::dataplane {

class UnavailableDataPlane final : public DataPlane {
 public:
  UnavailableDataPlane(AlarmFactory& alarms, DataPlaneEvents& events) : answers_(alarms, events) {}

  static std::string reason() {
    return std::string("the kernel has no L2TP data plane: load ") + kernel::kL2tpModules;
  }

  void create_tunnel(const KernelTunnelParams& params) override {
    answers_.later(
        [id = params.tunnel_id](DataPlaneEvents& e) { e.data_plane_tunnel_failed(id, reason()); });
  }
  void delete_tunnel(std::uint32_t) override {}
  void create_session(const KernelSessionParams& params) override {
    answers_.later([t = params.tunnel_id, s = params.session_id](DataPlaneEvents& e) {
      e.data_plane_session_failed(t, s, reason());
    });
  }
  void delete_session(std::uint32_t, std::uint32_t) override {}
  void start_ppp(const PppStartParams& params) override {
    answers_.later([t = params.session.tunnel_id, s = params.session.session_id](
                       DataPlaneEvents& e) { e.data_plane_session_failed(t, s, reason()); });
  }
  void stop_ppp(std::uint32_t, std::uint32_t) override {}

 private:
  DeferredAnswers answers_;
};

}  // namespace l2tp::dataplane
