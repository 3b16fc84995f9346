#include "verbs.h"

#include <fmt/format.h>
#include <unistd.h>

#include "bus/bus_connection.h"
#include "follow.h"
#include "generated/listener_proxy.h"
#include "generated/manager_proxy.h"
#include "generated/session_proxy.h"
#include "generated/tunnel_proxy.h"
#include "lib/completion.h"
#include "lib/option_arguments.h"
#include "lib/render.h"
#include "lib/translation.h"

namespace l2tp::ctl {

namespace {

using nlohmann::json;

RenderOptions render_options(const GlobalOptions& options) {
  RenderOptions render;
  render.color = use_color(options.color);
  render.legend = options.legend;
  return render;
}

void print_json(const GlobalOptions& options, const json& value) {
  const std::string text =
      options.json == JsonMode::kPretty ? value.dump(2) + "\n" : value.dump() + "\n";
  show(text, false);
}

ObjectModel read_model(BusConnection& bus) {
  return model_from_managed_objects(bus.managed_objects());
}

ObjectRef find_or_throw(const ObjectModel& model, const std::string& name) {
  auto found = find_object(model, name);
  if (!found) throw CtlError(ExitStatus::kNoSuchObject, found.error());
  return *found;
}

// The options of a call, their secrets zeroed when the call is over,
// whether it succeeded or threw.
class CallOptions {
 public:
  CallOptions(config::ObjectKind kind, const std::vector<std::string>& arguments) {
    auto parsed = parse_option_arguments(kind, arguments, read_argument_file);
    if (!parsed) throw CtlError(ExitStatus::kUsage, parsed.error().to_string());
    options_ = std::move(*parsed);
  }
  ~CallOptions() { config::wipe_secrets(options_); }
  CallOptions(const CallOptions&) = delete;
  CallOptions& operator=(const CallOptions&) = delete;
  const config::OptionMap& get() const { return options_; }

 private:
  config::OptionMap options_;
};

// A call that may need polkit: with an agent on the terminal when there is
// one, so that polkit may ask for a password.
class Changer {
 public:
  explicit Changer(const GlobalOptions& options) : bus_(options.bus) {
    if (options.ask_password && agent_.start()) bus_.allow_interactive_authorization(true);
    if (options.wait) {
      follow_events(bus_, [this](const BusEvent& event) { tracker_.record(event); });
    }
  }
  BusConnection& bus() { return bus_; }
  void wait(const GlobalOptions& options, const std::vector<std::string>& paths) {
    if (options.wait && !paths.empty()) tracker_.wait_established(bus_, paths, *options.wait);
  }

 private:
  BusConnection bus_;
  PolkitAgent agent_;
  StateTracker tracker_;
};

// What a call made, as a line for people or JSON for scripts.
void report_created(const GlobalOptions& options, const std::vector<std::string>& paths,
                    const char* done) {
  if (options.json != JsonMode::kOff) {
    json out = json::array();
    for (const std::string& path : paths) {
      const auto name = name_of_path(path);
      out.push_back({{"Path", path}, {"Name", name ? name->second : path}});
    }
    print_json(options, paths.size() == 1 ? out[0] : out);
    return;
  }
  for (const std::string& path : paths) {
    const auto name = name_of_path(path);
    fmt::print("{} {} {}.\n", name ? to_string(name->first) : "object", name ? name->second : path,
               done);
  }
}

const char* created_word(const GlobalOptions& options) {
  return options.wait ? _("established") : _("created");
}

}  // namespace

int status(const GlobalOptions& options, const std::vector<std::string>& names) {
  BusConnection bus(options.bus);
  const ObjectModel model = read_model(bus);
  if (names.empty()) {
    if (options.json != JsonMode::kOff) {
      print_json(options, model.to_json());
    } else {
      show(render_overview(model, render_options(options)), options.pager);
    }
    return 0;
  }
  std::vector<ObjectRef> objects;
  for (const std::string& name : names) objects.push_back(find_or_throw(model, name));
  if (options.json != JsonMode::kOff) {
    json out = json::array();
    for (const ObjectRef& object : objects) out.push_back(*object.object);
    print_json(options, objects.size() == 1 ? out[0] : out);
    return 0;
  }
  std::string text;
  for (const ObjectRef& object : objects) {
    if (!text.empty()) text += "\n";
    text += render_details(model, object, render_options(options));
  }
  show(text, options.pager);
  return 0;
}

int list(const GlobalOptions& options, const std::string& what) {
  ObjectType type = ObjectType::kTunnel;
  if (what == "sessions") type = ObjectType::kSession;
  if (what == "listeners") type = ObjectType::kListener;
  BusConnection bus(options.bus);
  const ObjectModel model = read_model(bus);
  if (options.json != JsonMode::kOff) {
    const auto& objects = type == ObjectType::kTunnel    ? model.tunnels
                          : type == ObjectType::kSession ? model.sessions
                                                         : model.listeners;
    print_json(options, json(objects));
    return 0;
  }
  show(render_list(model, type, render_options(options)), options.pager);
  return 0;
}

int add_tunnel(const GlobalOptions& options, const std::vector<std::string>& arguments) {
  const CallOptions tunnel_options(config::ObjectKind::kTunnel, arguments);
  Changer changer(options);
  proxy::Manager manager(changer.bus(), kManagerPath);
  const std::string path = manager.CreateTunnel(tunnel_options.get());
  changer.wait(options, {path});
  report_created(options, {path}, created_word(options));
  return 0;
}

int add_session(const GlobalOptions& options, const std::string& tunnel,
                const std::vector<std::string>& arguments) {
  const CallOptions session_options(config::ObjectKind::kSession, arguments);
  Changer changer(options);
  const ObjectModel model = read_model(changer.bus());
  const ObjectRef target = find_or_throw(model, tunnel);
  if (target.type != ObjectType::kTunnel) {
    throw CtlError(ExitStatus::kUsage, fmt::format(fmt::runtime(_("{} is not a tunnel")), tunnel));
  }
  proxy::Tunnel proxy(changer.bus(), target.path());
  const std::string path = proxy.CreateSession(session_options.get());
  changer.wait(options, {path});
  report_created(options, {path}, created_word(options));
  return 0;
}

int listen(const GlobalOptions& options, const std::vector<std::string>& arguments) {
  const CallOptions listener_options(config::ObjectKind::kListener, arguments);
  Changer changer(options);
  proxy::Manager manager(changer.bus(), kManagerPath);
  const std::string path = manager.Listen(listener_options.get());
  report_created(options, {path}, _("created"));
  return 0;
}

int close_objects(const GlobalOptions& options, const std::vector<std::string>& names) {
  Changer changer(options);
  const ObjectModel model = read_model(changer.bus());
  // Every name is looked up before anything is closed: a typo closes nothing.
  std::vector<ObjectRef> objects;
  for (const std::string& name : names) objects.push_back(find_or_throw(model, name));
  for (const ObjectRef& object : objects) {
    switch (object.type) {
      case ObjectType::kTunnel:
        proxy::Tunnel(changer.bus(), object.path()).Close();
        break;
      case ObjectType::kSession:
        proxy::Session(changer.bus(), object.path()).Close();
        break;
      case ObjectType::kListener:
        proxy::Listener(changer.bus(), object.path()).Close();
        break;
      case ObjectType::kManager:
        break;
    }
  }
  return 0;
}

int config_up(const GlobalOptions& options, const std::vector<std::string>& names) {
  Changer changer(options);
  proxy::Manager manager(changer.bus(), kManagerPath);
  std::vector<std::string> paths;
  for (const std::string& name : names) {
    for (std::string& path : manager.Up(name)) paths.push_back(std::move(path));
  }
  std::vector<std::string> tunnels;
  for (const std::string& path : paths) {
    if (auto name = name_of_path(path); name && name->first == ObjectType::kTunnel) {
      tunnels.push_back(path);
    }
  }
  changer.wait(options, tunnels);
  report_created(options, paths, options.wait ? _("established") : _("up"));
  return 0;
}

int config_down(const GlobalOptions& options, const std::vector<std::string>& names) {
  Changer changer(options);
  proxy::Manager manager(changer.bus(), kManagerPath);
  for (const std::string& name : names) manager.Down(name);
  return 0;
}

int reload(const GlobalOptions& options) {
  Changer changer(options);
  proxy::Manager(changer.bus(), kManagerPath).Reload();
  return 0;
}

int monitor(const GlobalOptions& options) {
  BusConnection bus(options.bus);
  const bool color = use_color(options.color);
  const bool as_json = options.json != JsonMode::kOff;
  follow_events(bus, [&](const BusEvent& event) {
    if (as_json) {
      fmt::print("{}\n", monitor_json(event).dump());
    } else {
      fmt::print("{}\n", monitor_line(event, color));
    }
    std::fflush(stdout);
  });
  // Fails with "not running" now rather than waiting in silence.
  bus.unique_name_of_daemon();
  interrupt_waits_on_signals();
  while (bus.process(std::chrono::milliseconds(-1))) {
  }
  return 0;
}

int complete_words(const GlobalOptions& options, const std::vector<std::string>& words) {
  // The daemon to ask is the one the command line being completed names.
  std::string bus_address = options.bus;
  for (std::size_t i = 0; i + 1 < words.size(); ++i) {
    if (words[i].starts_with("--bus=")) bus_address = words[i].substr(6);
    if (words[i] == "--bus" && i + 2 < words.size()) bus_address = words[i + 1];
  }
  const auto live = [&bus_address]() {
    LiveNames names;
    try {
      BusConnection bus(bus_address);
      const ObjectModel model = read_model(bus);
      for (const json& tunnel : model.tunnels) {
        names.tunnels.push_back(display_name(ObjectType::kTunnel, tunnel));
        names.objects.push_back(names.tunnels.back());
      }
      for (const json& session : model.sessions)
        names.objects.push_back(display_name(ObjectType::kSession, session));
      for (const json& listener : model.listeners)
        names.objects.push_back(display_name(ObjectType::kListener, listener));
      for (const json& file : model.daemon.value("ConfigFiles", json::array())) {
        if (!file.is_array() || file.empty()) continue;
        names.config_files.push_back(file[0].get<std::string>());
      }
      for (const std::string& file : names.config_files) {
        names.objects.push_back(file);
        names.tunnels.push_back(file);
      }
    } catch (const CtlError&) {
      // No daemon: no names to offer.
    }
    return names;
  };
  for (const std::string& candidate : complete(words, live)) fmt::print("{}\n", candidate);
  return 0;
}

}  // namespace l2tp::ctl
