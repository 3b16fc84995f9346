// The three data planes the daemon can run on, as DataPlaneBackends.
// service/main.cpp picks one: `--data-plane null`, else the kernel's when the
// kernel has L2TP, else the unavailable one (which refuses what it can up
// front and fails what peers start, naming the modules to load).
#pragma once

#include <expected>
#include <functional>
#include <memory>
#include <string>

#include "core/data_plane.h"
#include "core/log.h"
#include "core/timing.h"
#include "dataplane/backend.h"

namespace l2tp::loop {
class EventLoop;
}

namespace l2tp::dataplane {

std::unique_ptr<DataPlaneBackend> make_null_backend(AlarmFactory& alarms, DataPlaneEvents& events);
std::unique_ptr<DataPlaneBackend> make_unavailable_backend(AlarmFactory& alarms,
                                                           DataPlaneEvents& events);

struct KernelBackendOptions {
  std::string pppd;             // Debian's /usr/sbin/pppd
  std::string ppp_plugin;       // our pppd plugin
  std::string state_directory;  // the records of static tunnels and running pppd
};
// A tunnel's own socket, which the kernel's managed tunnels are built on.
using TunnelSocketLookup = std::function<std::expected<int, std::string>(const Path&)>;

// Opens the "l2tp" generic netlink family and reads the record of static
// objects an earlier run left (adoptable from now on; deleted only by
// reconcile()); the error says why the kernel's data plane cannot be used.
std::expected<std::unique_ptr<DataPlaneBackend>, std::string> open_kernel_backend(
    loop::EventLoop& loop, DataPlaneEvents& events, Logger& logger, TunnelSocketLookup sockets,
    const KernelBackendOptions& options);

}  // namespace l2tp::dataplane
