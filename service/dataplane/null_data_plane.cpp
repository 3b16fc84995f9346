#include "dataplane/null_data_plane.h"

namespace l2tp::dataplane {

NullDataPlane::NullDataPlane(AlarmFactory& alarms, DataPlaneEvents& events)
    : answers_(alarms, events) {}

void NullDataPlane::create_tunnel(const KernelTunnelParams& params) {
  const std::uint32_t tunnel_id = params.tunnel_id;
  answers_.later([tunnel_id](DataPlaneEvents& e) { e.data_plane_tunnel_ready(tunnel_id); });
}

void NullDataPlane::delete_tunnel(std::uint32_t) {}

void NullDataPlane::create_session(const KernelSessionParams& params) {
  const std::uint32_t tunnel_id = params.tunnel_id;
  const std::uint32_t session_id = params.session_id;
  answers_.later([tunnel_id, session_id](DataPlaneEvents& e) {
    e.data_plane_session_ready(tunnel_id, session_id, "");
  });
}

void NullDataPlane::delete_session(std::uint32_t, std::uint32_t) {}

void NullDataPlane::start_ppp(const PppStartParams& params) {
  const std::uint32_t tunnel_id = params.session.tunnel_id;
  const std::uint32_t session_id = params.session.session_id;
  answers_.later([tunnel_id, session_id](DataPlaneEvents& e) {
    PppAddresses none;
    none.ip6_negotiation = Ip6Negotiation::kOff;  // no pppd, so no IPV6CP
    e.ppp_network_up(tunnel_id, session_id, none);
  });
}

void NullDataPlane::stop_ppp(std::uint32_t, std::uint32_t) {}

}  // namespace l2tp::dataplane
