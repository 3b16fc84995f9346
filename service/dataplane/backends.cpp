#include "dataplane/backends.h"

#include <unistd.h>

#include <utility>

#include "dataplane/kernel_data_plane.h"
#include "dataplane/null_data_plane.h"
#include "dataplane/unavailable_data_plane.h"
#include "kernel/l2tp_client.h"
#include "kernel/pseudowire_probe.h"
#include "ppp/ppp_supervisor.h"

namespace l2tp::dataplane {

namespace {

// The record of static kernel tunnels, in the state directory.
constexpr const char* kStaticRecordFile = "static-tunnels";

class NullBackend final : public DataPlaneBackend {
 public:
  NullBackend(AlarmFactory& alarms, DataPlaneEvents& events) : plane_(alarms, events) {}
  DataPlane& port() override { return plane_; }
  std::string name() const override { return "null"; }
  std::optional<std::string> unavailable() const override { return std::nullopt; }
  std::optional<std::string> refuse(Pseudowire) const override { return std::nullopt; }

 private:
  NullDataPlane plane_;
};

class UnavailableBackend final : public DataPlaneBackend {
 public:
  UnavailableBackend(AlarmFactory& alarms, DataPlaneEvents& events) : plane_(alarms, events) {}
  DataPlane& port() override { return plane_; }
  std::string name() const override { return "unavailable"; }
  std::optional<std::string> unavailable() const override { return UnavailableDataPlane::reason(); }
  std::optional<std::string> refuse(Pseudowire) const override {
    return UnavailableDataPlane::reason();
  }

 private:
  UnavailableDataPlane plane_;
};

// pppd for the kernel data plane.
class SupervisedPpp final : public PppLauncher {
 public:
  SupervisedPpp(loop::EventLoop& loop, ppp::PppPaths paths, ppp::PppObserver& observer,
                Logger& logger, std::string state_directory)
      : supervisor_(loop, std::move(paths), observer, &logger, std::move(state_directory)) {}
  std::expected<void, std::string> start(const PppStartParams& params,
                                         kernel::UniqueFd socket) override {
    return supervisor_.start(params, std::move(socket));
  }
  void stop(std::uint32_t tunnel_id, std::uint32_t session_id) override {
    supervisor_.stop(tunnel_id, session_id);
  }
  void end_leftovers() override { supervisor_.end_leftovers(); }

 private:
  ppp::PppSupervisor supervisor_;
};

class KernelBackend final : public DataPlaneBackend {
 public:
  KernelBackend(loop::EventLoop& loop, DataPlaneEvents& events, Logger& logger,
                std::unique_ptr<kernel::GenlL2tpClient> netlink, TunnelSocketLookup sockets,
                const KernelBackendOptions& options)
      : netlink_(std::move(netlink)),
        plane_(
            loop, events, logger, *netlink_, std::move(sockets),
            KernelDataPlaneOptions{
                .state_path = options.state_directory + "/" + kStaticRecordFile,
                .ppp =
                    [&loop, &logger, options](ppp::PppObserver& observer) {
                      return std::unique_ptr<PppLauncher>(std::make_unique<SupervisedPpp>(
                          loop,
                          ppp::PppPaths{.pppd = options.pppd, .report_plugin = options.ppp_plugin},
                          observer, logger, options.state_directory));
                    }}),
        pppd_(options.pppd),
        ppp_available_(kernel::ppp_pseudowire_available() && access(pppd_.c_str(), X_OK) == 0),
        eth_available_(kernel::eth_pseudowire_available()) {
    // Adoption is harmless; deleting what the record holds waits for
    // reconcile(), which only comes once this daemon owns the bus name.
    plane_.load_record();
    logger.log(
        LogLevel::kInfo, "daemon",
        std::string("kernel data plane: PPP ") +
            (ppp_available_ ? "available" : "unavailable (l2tp_ppp, /dev/ppp or pppd missing)") +
            ", Ethernet " + (eth_available_ ? "available" : "unavailable (no l2tp_eth)"));
  }

  DataPlane& port() override { return plane_; }
  std::string name() const override { return "kernel"; }
  std::optional<std::string> unavailable() const override { return std::nullopt; }
  std::optional<std::string> refuse(Pseudowire pseudowire) const override {
    if (pseudowire == Pseudowire::kEth && !eth_available_)
      return "Pseudowire eth needs the kernel's l2tp_eth module, which is not installed";
    if (pseudowire == Pseudowire::kPpp && !ppp_available_)
      return "Pseudowire ppp needs the kernel's l2tp_ppp and ppp_generic modules (/dev/ppp) and "
             "pppd at " +
             pppd_;
    return std::nullopt;
  }
  void reconcile(const StaticObjects& configured) override {
    plane_.reconcile(configured.tunnels, configured.sessions);
    // Like the static tunnels, an earlier run's pppd are ended only now.
    plane_.end_ppp_leftovers();
  }
  std::optional<kernel::SessionCounters> session_counters(std::uint32_t tunnel_id,
                                                          std::uint32_t session_id) const override {
    return plane_.session_counters(tunnel_id, session_id);
  }

 private:
  std::unique_ptr<kernel::GenlL2tpClient> netlink_;
  // mutable: reading counters asks the kernel over the netlink socket.
  mutable KernelDataPlane plane_;
  std::string pppd_;
  bool ppp_available_;
  bool eth_available_;
};

}  // namespace

std::unique_ptr<DataPlaneBackend> make_null_backend(AlarmFactory& alarms, DataPlaneEvents& events) {
  return std::make_unique<NullBackend>(alarms, events);
}

std::unique_ptr<DataPlaneBackend> make_unavailable_backend(AlarmFactory& alarms,
                                                           DataPlaneEvents& events) {
  return std::make_unique<UnavailableBackend>(alarms, events);
}

std::expected<std::unique_ptr<DataPlaneBackend>, std::string> open_kernel_backend(
    loop::EventLoop& loop, DataPlaneEvents& events, Logger& logger, TunnelSocketLookup sockets,
    const KernelBackendOptions& options) {
  auto netlink = kernel::GenlL2tpClient::open();
  if (!netlink) return std::unexpected(netlink.error().message);
  return std::make_unique<KernelBackend>(loop, events, logger, std::move(*netlink),
                                         std::move(sockets), options);
}

}  // namespace l2tp::dataplane
