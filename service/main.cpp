// l2tpbusd: the one place that names the concrete classes. Reads its
// settings, joins the bus, registers the Manager, builds the daemon core on
// its ports (sockets, the data plane this kernel allows, c-ares, the loop),
// takes the well-known name, loads the tunnel files and runs the loop.
#include <getopt.h>
#include <sdbus-c++/sdbus-c++.h>
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "authz/authority.h"
#include "config/files.h"
#include "daemon/daemon.h"
#include "daemon/log.h"
#include "daemon/ports.h"
#include "daemon/system_random.h"
#include "daemon/tunnel_io.h"
#include "dataplane/backends.h"
#include "dbus/bus_pump.h"
#include "dbus/bus_service.h"
#include "dbus/caller.h"
#include "dbus/properties.h"
#include "dbus/version.h"
#include "ipsec/charon_ipsec.h"
#include "kernel/l2tp_probe.h"
#include "loop/event_loop.h"
#include "resolve/resolver.h"

// Long enough for a StopCCN to be acknowledged over a lossy path, short of
// systemd's stop timeout.
constexpr l2tp::Duration kShutdownGrace{3000};

namespace {

using l2tp::LogLevel;
using l2tp::daemon::log;

constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

constexpr const char* kUsage =
    "Usage: l2tpbusd [OPTION]...\n"
    "L2TP tunnels, sessions and listeners on D-Bus (org.l2tpbus1).\n"
    "\n"
    "  --bus system|session|ADDRESS   bus to serve on (default: system)\n"
    "  --data-plane kernel|null       kernel L2TP, or none for tests (default: kernel)\n"
    "  --config DIR                   l2tpbusd.conf and *.tunnel files (default: /etc/l2tpbus)\n"
    "  --log-level LEVEL              error, warning, notice, info or debug\n"
    "                                 (default: l2tpbusd.conf's LogLevel, else info)\n"
    "  --pppd PATH                    pppd for PPP sessions (default: " L2TPBUS_PPPD
    ")\n"
    "  --ppp-plugin PATH              l2tpbus's pppd plugin\n"
    "                                 (default: " L2TPBUS_PPP_PLUGIN
    ")\n"
    "  --vici PATH                    charon's VICI socket, for L2TP/IPsec\n"
    "                                 (default: /run/charon.vici)\n"
    "  --state-dir DIR                where static kernel tunnels and running pppd\n"
    "                                 are recorded (root's own, not group/world-writable)\n"
    "                                 (default: " L2TPBUS_STATE_DIR
    ")\n"
    "  --help                         show this and exit\n"
    "  --version                      show the version and exit\n"
    "\n"
    "SIGHUP rereads the *.tunnel files (as Manager.Reload); SIGTERM and SIGINT end the daemon.\n";

enum class DataPlaneChoice : std::uint8_t { kKernel, kNull };

struct Arguments {
  std::string bus = "system";
  DataPlaneChoice data_plane = DataPlaneChoice::kKernel;
  std::string config_directory = "/etc/l2tpbus";
  std::optional<LogLevel> log_level;
  std::string pppd = L2TPBUS_PPPD;
  std::string ppp_plugin = L2TPBUS_PPP_PLUGIN;
  std::string state_directory = L2TPBUS_STATE_DIR;
  std::string vici = "/run/charon.vici";
};

[[noreturn]] void usage_error(const std::string& message) {
  std::fprintf(stderr, "l2tpbusd: %s\n%s", message.c_str(), kUsage);
  std::exit(kExitUsage);
}

std::optional<LogLevel> parse_log_level(std::string_view text) {
  if (text == "error") return LogLevel::kError;
  if (text == "warning") return LogLevel::kWarning;
  if (text == "notice") return LogLevel::kNotice;
  if (text == "info") return LogLevel::kInfo;
  if (text == "debug") return LogLevel::kDebug;
  return std::nullopt;
}

Arguments parse_arguments(int argc, char** argv) {
  enum : int {
    kBus = 256,
    kDataPlane,
    kConfig,
    kLogLevel,
    kPppd,
    kPppPlugin,
    kStateDir,
    kVici,
    kHelp,
    kVersion
  };
  static const option kOptions[] = {
      {"bus", required_argument, nullptr, kBus},
      {"data-plane", required_argument, nullptr, kDataPlane},
      {"config", required_argument, nullptr, kConfig},
      {"log-level", required_argument, nullptr, kLogLevel},
      {"pppd", required_argument, nullptr, kPppd},
      {"ppp-plugin", required_argument, nullptr, kPppPlugin},
      {"state-dir", required_argument, nullptr, kStateDir},
      {"vici", required_argument, nullptr, kVici},
      {"help", no_argument, nullptr, kHelp},
      {"version", no_argument, nullptr, kVersion},
      {nullptr, 0, nullptr, 0},
  };
  Arguments arguments;
  opterr = 0;  // our own messages, followed by the usage
  for (;;) {
    const int index = optind;
    const int choice = getopt_long(argc, argv, "", kOptions, nullptr);
    if (choice == -1) break;
    const std::string value = optarg != nullptr ? optarg : "";
    switch (choice) {
      case kBus:
        // Anything but the two names is a D-Bus address ("unix:path=...").
        if (value != "system" && value != "session" && value.find(':') == std::string::npos) {
          usage_error("--bus wants system, session or a bus address, not '" + value + "'");
        }
        arguments.bus = value;
        break;
      case kDataPlane:
        if (value == "kernel") {
          arguments.data_plane = DataPlaneChoice::kKernel;
        } else if (value == "null") {
          arguments.data_plane = DataPlaneChoice::kNull;
        } else {
          usage_error("--data-plane wants kernel or null, not '" + value + "'");
        }
        break;
      case kConfig:
        if (value.empty()) usage_error("--config wants a directory");
        arguments.config_directory = value;
        break;
      case kLogLevel:
        arguments.log_level = parse_log_level(value);
        if (!arguments.log_level) {
          usage_error("--log-level wants error, warning, notice, info or debug, not '" + value +
                      "'");
        }
        break;
      case kPppd:
      case kPppPlugin:
      case kStateDir:
      case kVici:
        // pppd loads the plugin by path, and the state file is found again
        // after a restart: relative paths would depend on the working directory.
        if (value.empty() || value[0] != '/')
          usage_error(std::string(argv[index]) + " wants an absolute path, not '" + value + "'");
        (choice == kPppd        ? arguments.pppd
         : choice == kPppPlugin ? arguments.ppp_plugin
         : choice == kVici      ? arguments.vici
                                : arguments.state_directory) = value;
        break;
      case kHelp:
        std::fputs(kUsage, stdout);
        std::exit(EXIT_SUCCESS);
      case kVersion:
        std::printf("l2tpbusd %s\n", L2TPBUS_VERSION);
        std::exit(EXIT_SUCCESS);
      default:
        usage_error(std::string("unknown or incomplete option '") + argv[index] + "'");
    }
  }
  if (optind < argc) usage_error(std::string("unexpected argument '") + argv[optind] + "'");
  return arguments;
}

std::unique_ptr<sdbus::IConnection> connect_to_bus(const std::string& bus) {
  if (bus == "system") return sdbus::createSystemBusConnection();
  if (bus == "session") return sdbus::createSessionBusConnection();
  return sdbus::createSessionBusConnectionWithAddress(bus);
}

std::string bus_description(const std::string& bus) {
  return bus == "system" || bus == "session" ? "the " + bus + " bus" : "the bus at " + bus;
}

// The daemon core's ports: the loop's clock and alarms, the kernel's
// randomness, sockets, the data plane `--data-plane` and this kernel allow,
// and c-ares.
l2tp::daemon::DaemonPorts daemon_ports(const Arguments& arguments, l2tp::loop::EventLoop& loop,
                                       l2tp::daemon::SystemRandom& random) {
  using l2tp::daemon::TunnelSockets;
  const l2tp::kernel::L2tpSupport support = l2tp::kernel::probe_l2tp_support();
  auto open_sockets = [&loop](l2tp::daemon::DatagramReceiver receiver) {
    return std::unique_ptr<TunnelSockets>(
        std::make_unique<l2tp::daemon::TunnelIo>(loop, std::move(receiver)));
  };
  auto open_data_plane = [&loop, &arguments, support](l2tp::DataPlaneEvents& events,
                                                      TunnelSockets& sockets,
                                                      l2tp::Logger& logger) {
    if (arguments.data_plane == DataPlaneChoice::kNull)
      return l2tp::dataplane::make_null_backend(loop, events);
    if (support.netlink) {
      auto kernel = l2tp::dataplane::open_kernel_backend(
          loop, events, logger,
          [&sockets](const l2tp::Path& path) { return sockets.tunnel_socket(path); },
          {.pppd = arguments.pppd,
           .ppp_plugin = arguments.ppp_plugin,
           .state_directory = arguments.state_directory});
      if (kernel) return std::move(*kernel);
      log(LogLevel::kWarning, "daemon", kernel.error());
    }
    return l2tp::dataplane::make_unavailable_backend(loop, events);
  };
  std::unique_ptr<l2tp::resolve::Resolver> resolver;
  if (auto created = l2tp::resolve::Resolver::create(loop))
    resolver = std::move(*created);
  else
    log(LogLevel::kWarning, "daemon", "no host name resolution: ", created.error().message);
  return l2tp::daemon::DaemonPorts{
      .clock = loop,
      .alarms = loop,
      .random = random,
      .support = support,
      .open_sockets = std::move(open_sockets),
      .open_data_plane = std::move(open_data_plane),
      .resolver = std::move(resolver),
      .open_ipsec =
          [&loop, &arguments](l2tp::IpsecEvents& events, l2tp::Logger& logger) {
            return std::unique_ptr<l2tp::IpsecService>(
                l2tp::ipsec::CharonIpsec::open(loop, arguments.vici, events, logger));
          },
  };
}

int run(const Arguments& arguments) {
  const std::string settings_path = arguments.config_directory + "/l2tpbusd.conf";
  auto settings = l2tp::config::load_daemon_settings(settings_path);
  if (!settings) {
    log(LogLevel::kError, "", settings.error());
    return kExitFailure;
  }
  l2tp::daemon::set_log_level(arguments.log_level.value_or(settings->log_level));

  // Children (pppd) are forked later; their exits must not be missed.
  l2tp::loop::EventLoop::block_child_signal();
  signal(SIGPIPE, SIG_IGN);

  auto loop = l2tp::loop::EventLoop::create();
  if (!loop) {
    log(LogLevel::kError, "", "cannot create the event loop: error ", -loop.error());
    return kExitFailure;
  }
  l2tp::loop::EventLoop& event_loop = **loop;

  std::unique_ptr<sdbus::IConnection> bus;
  try {
    bus = connect_to_bus(arguments.bus);
  } catch (const sdbus::Error& error) {
    log(LogLevel::kError, "", "cannot connect to ", bus_description(arguments.bus), ": ",
        error.getMessage());
    return kExitFailure;
  }

  auto pump = l2tp::dbus::BusPump::attach(event_loop, *bus, [&event_loop](const std::string& why) {
    log(LogLevel::kError, "", "lost the bus connection: ", why);
    event_loop.exit(kExitFailure);
  });
  if (!pump) {
    log(LogLevel::kError, "", pump.error());
    return kExitFailure;
  }

  const std::unique_ptr<l2tp::authz::Authority> authority = l2tp::authz::Authority::create(*bus);
  std::unique_ptr<l2tp::dbus::BusCallerIdentifier> callers;
  std::unique_ptr<l2tp::dbus::BusService> service;
  try {
    callers = std::make_unique<l2tp::dbus::BusCallerIdentifier>(*bus);
    service = std::make_unique<l2tp::dbus::BusService>(*bus, event_loop, *authority, *callers,
                                                       L2TPBUS_VERSION);
  } catch (const sdbus::Error& error) {
    log(LogLevel::kError, "", "cannot register ", l2tp::dbus::kManagerPath, ": ",
        error.getMessage());
    return kExitFailure;
  }

  l2tp::daemon::DaemonOptions options;
  options.config_directory = arguments.config_directory;
  options.settings = *settings;
  l2tp::daemon::SystemRandom random;
  auto daemon =
      l2tp::daemon::Daemon::create(daemon_ports(arguments, event_loop, random), options, *service);
  service->attach(*daemon);

  // The name last: a client that sees it finds the Manager ready. A second
  // l2tpbusd stops here, before its tunnel files reach any peer.
  try {
    bus->requestName(l2tp::dbus::kBusName);
  } catch (const sdbus::Error& error) {
    log(LogLevel::kError, "", "cannot own ", l2tp::dbus::kBusName, " on ",
        bus_description(arguments.bus), " (is another l2tpbusd running?): ", error.getMessage());
    service->detach();
    return kExitFailure;
  }
  daemon->load_config();

  auto reload = event_loop.watch_signal(SIGHUP, [&daemon] {
    log(LogLevel::kNotice, "", "SIGHUP: rereading the tunnel files");
    daemon->load_config();
  });
  // Peers hear a StopCCN rather than find out by timeout; a second signal,
  // or the grace period running out, ends the daemon regardless.
  bool stopping = false;
  auto stop = [&] {
    if (stopping) {
      event_loop.exit(0);
      return;
    }
    stopping = true;
    log(LogLevel::kNotice, "", "stopping: closing every tunnel");
    daemon->shutdown(kShutdownGrace, [&event_loop] { event_loop.exit(0); });
  };
  auto terminate = event_loop.watch_signal(SIGTERM, stop);
  auto interrupt = event_loop.watch_signal(SIGINT, stop);
  if (!reload || !terminate || !interrupt) {
    log(LogLevel::kError, "", "cannot watch signals");
    service->detach();
    return kExitFailure;
  }

  log(LogLevel::kNotice, "", "l2tpbusd ", L2TPBUS_VERSION, " serving ", l2tp::dbus::kBusName,
      " on ", bus_description(arguments.bus), ", data plane ", daemon->data_plane());
  const int code = event_loop.run();
  log(code == 0 ? LogLevel::kNotice : LogLevel::kError, "", "exiting");

  // Managed tunnels end with their sockets. The core goes first, while the
  // bus layer it reports to still exists, but no longer asks it anything.
  service->detach();
  daemon.reset();
  service.reset();
  return code < 0 ? kExitFailure : code;
}

}  // namespace

int main(int argc, char** argv) {
  return run(parse_arguments(argc, argv));
}
