// l2tpctl: the command-line client of l2tpbusd's D-Bus API. Arguments are
// parsed here (CLI11); each verb is in verbs.cpp, and every failure arrives
// as a CtlError whose status is the exit code (lib/exit_status.h).
// CLI11 2.1's string splitting, inlined here, trips GCC 12's
// -Wnull-dereference (a false positive inside libstdc++'s vector growth).
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <fmt/format.h>
#include <libintl.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <clocale>
#include <cstdio>

#include "lib/completion.h"
#include "lib/translation.h"
#include "verbs.h"

namespace {

using l2tp::ctl::ColorMode;
using l2tp::ctl::CtlError;
using l2tp::ctl::ExitStatus;
using l2tp::ctl::GlobalOptions;
using l2tp::ctl::JsonMode;

constexpr int kDefaultWaitSeconds = 60;

struct Arguments {
  std::string json;
  std::string color = "auto";
  std::string wait;
  bool no_legend = false;
  bool no_pager = false;
  bool no_ask_password = false;
  std::vector<std::string> names;
  std::string list_what;
  std::string tunnel;
  std::vector<std::string> options;
};

// A validator that names the values allowed (CLI11's IsMember would list
// "true", the value a bare flag takes).
CLI::Validator one_of(std::vector<std::string> values) {
  return CLI::Validator(
      [values](std::string& value) -> std::string {
        if (std::ranges::find(values, value) != values.end()) return {};
        return fmt::format(fmt::runtime(_("{} is not one of pretty, short, off")), value);
      },
      "");
}

GlobalOptions global_options(const Arguments& arguments, const std::string& bus) {
  GlobalOptions options;
  options.bus = bus;
  if (arguments.json == "pretty") options.json = JsonMode::kPretty;
  if (arguments.json == "short") options.json = JsonMode::kShort;
  if (arguments.json == "true") {
    options.json = l2tp::ctl::stdout_is_terminal() ? JsonMode::kPretty : JsonMode::kShort;
  }
  options.legend = !arguments.no_legend;
  options.pager = !arguments.no_pager;
  options.color = arguments.color == "always"  ? ColorMode::kAlways
                  : arguments.color == "never" ? ColorMode::kNever
                                               : ColorMode::kAuto;
  options.ask_password = !arguments.no_ask_password;
  if (arguments.wait == "true") {
    options.wait = std::chrono::seconds(kDefaultWaitSeconds);
  } else if (!arguments.wait.empty()) {
    std::uint32_t seconds = 0;
    if (std::sscanf(arguments.wait.c_str(), "%u", &seconds) != 1 || seconds == 0 ||
        seconds > 86400 || arguments.wait.find_first_not_of("0123456789") != std::string::npos) {
      throw CtlError(ExitStatus::kUsage, _("--wait: expected seconds, 1..86400"));
    }
    options.wait = std::chrono::seconds(seconds);
  }
  return options;
}

}  // namespace

int main(int argc, char** argv) {
  std::setlocale(LC_ALL, "");
  bindtextdomain("l2tpbus", L2TPBUS_LOCALEDIR);
  bind_textdomain_codeset("l2tpbus", "UTF-8");

  CLI::App app(_("Shows and changes l2tpbusd's L2TP tunnels, sessions and listeners."), "l2tpctl");
  app.set_version_flag("--version", L2TPBUS_VERSION);
  app.require_subcommand(0, 1);

  Arguments arguments;
  std::string bus = "system";
  app.add_option("--bus", bus, _("system (default), session, or a D-Bus address"));
  // Flags that may take a value (--json=short, --wait=30): given bare, CLI11
  // sets them to "true", read as auto and the default wait.
  app.add_flag("-j,--json", arguments.json,
               _("JSON output; --json=pretty|short|off, bare: pretty on a terminal, else short"))
      ->check(one_of({"true", "pretty", "short", "off"}));
  app.add_flag("--no-legend", arguments.no_legend, _("no column headers and no summary"));
  app.add_flag("--no-pager", arguments.no_pager, _("never pipe output into a pager"));
  app.add_option("--color", arguments.color, _("auto, always or never"))
      ->check(CLI::IsMember({"auto", "always", "never"}));
  app.add_flag("--no-ask-password", arguments.no_ask_password,
               _("never ask for a password (polkit)"));
  app.add_flag("--wait", arguments.wait,
               _("wait until established; --wait=SECONDS, bare: 60 seconds at most"));

  auto* status =
      app.add_subcommand("status", _("tunnels, sessions and listeners, or one in detail"));
  status->add_option("names", arguments.names,
                     _("TUNNEL, TUNNEL/SESSION, listener/N, a path or a config file name"));
  auto* list = app.add_subcommand("list", _("one kind of object, one per line"));
  list->add_option("what", arguments.list_what, "tunnels, sessions or listeners")
      ->required()
      ->check(CLI::IsMember({"tunnels", "sessions", "listeners"}));
  auto* monitor =
      app.add_subcommand("monitor", _("print changes as they happen, until interrupted"));
  auto* tunnel = app.add_subcommand("tunnel", _("tunnel add KEY=VALUE..."));
  tunnel->require_subcommand(1);
  auto* tunnel_add = tunnel->add_subcommand("add", _("create a tunnel (Manager.CreateTunnel)"));
  tunnel_add->add_option("options", arguments.options, "KEY=VALUE")->required();
  auto* session = app.add_subcommand("session", _("session add TUNNEL KEY=VALUE..."));
  session->require_subcommand(1);
  auto* session_add = session->add_subcommand("add", _("create a session (Tunnel.CreateSession)"));
  session_add->add_option("tunnel", arguments.tunnel, "TUNNEL")->required();
  session_add->add_option("options", arguments.options, "KEY=VALUE");
  auto* listen = app.add_subcommand("listen", _("accept tunnels (Manager.Listen)"));
  listen->add_option("options", arguments.options, "KEY=VALUE");
  auto* close = app.add_subcommand("close", _("close tunnels, sessions or listeners"));
  close->add_option("objects", arguments.names, "OBJECT")->required();
  auto* up = app.add_subcommand("up", _("bring up the objects of config files"));
  up->add_option("names", arguments.names, "NAME")->required();
  auto* down =
      app.add_subcommand("down", _("close the objects of config files and keep them down"));
  down->add_option("names", arguments.names, "NAME")->required();
  auto* reload = app.add_subcommand("reload", _("re-read the config files"));
  auto* complete = app.add_subcommand("__complete", "");
  complete->group("");
  complete->prefix_command();
  for (CLI::App* verb : {status, list, monitor, tunnel, tunnel_add, session, session_add, listen,
                         close, up, down, reload}) {
    verb->fallthrough();
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    if (error.get_exit_code() == 0) return app.exit(error);
    fmt::print(stderr, "l2tpctl: {}\n", error.what());
    return static_cast<int>(ExitStatus::kUsage);
  }

  try {
    const GlobalOptions options = global_options(arguments, bus);
    if (*complete) return l2tp::ctl::complete_words(options, complete->remaining());
    if (*list) return l2tp::ctl::list(options, arguments.list_what);
    if (*monitor) return l2tp::ctl::monitor(options);
    if (*tunnel_add) return l2tp::ctl::add_tunnel(options, arguments.options);
    if (*session_add) {
      return l2tp::ctl::add_session(options, arguments.tunnel, arguments.options);
    }
    if (*listen) return l2tp::ctl::listen(options, arguments.options);
    if (*close) return l2tp::ctl::close_objects(options, arguments.names);
    if (*up) return l2tp::ctl::config_up(options, arguments.names);
    if (*down) return l2tp::ctl::config_down(options, arguments.names);
    if (*reload) return l2tp::ctl::reload(options);
    return l2tp::ctl::status(options, arguments.names);
  } catch (const CtlError& error) {
    fmt::print(stderr, "l2tpctl: {}\n", error.what());
    return static_cast<int>(error.status());
  } catch (const std::exception& error) {
    fmt::print(stderr, "l2tpctl: {}\n", error.what());
    return static_cast<int>(ExitStatus::kFailure);
  }
}
