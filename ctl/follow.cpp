#include "follow.h"

#include <fmt/format.h>
#include <signal.h>

#include "bus/message_io.h"
#include "lib/render.h"
#include "lib/translation.h"

namespace l2tp::ctl {

namespace {

using nlohmann::json;

constexpr const char* kObjectsRule =
    "type='signal',sender='org.l2tpbus1',path='/org/l2tpbus1',"
    "interface='org.freedesktop.DBus.ObjectManager'";
constexpr const char* kPropertiesRule =
    "type='signal',sender='org.l2tpbus1',path_namespace='/org/l2tpbus1',"
    "interface='org.freedesktop.DBus.Properties',member='PropertiesChanged'";

void on_signal(int) {}

BusEvent event_at_now(BusEvent::Kind kind, std::string path) {
  BusEvent event;
  event.kind = kind;
  event.path = std::move(path);
  event.time = std::chrono::system_clock::now();
  return event;
}

}  // namespace

void interrupt_waits_on_signals() {
  struct sigaction action {};
  action.sa_handler = on_signal;  // no SA_RESTART: sd_bus_wait returns EINTR
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

void follow_events(BusConnection& bus, std::function<void(const BusEvent&)> on_event) {
  bus.subscribe(kObjectsRule, [on_event](sd_bus_message* message) {
    const std::string member = sd_bus_message_get_member(message);
    std::string path;
    message::read(message, "o", path);
    if (member == "InterfacesAdded") {
      const json interfaces = message::read_json(message);
      for (const auto& [interface, properties] : interfaces.items()) {
        auto type = object_type_of_interface(interface);
        if (!type) continue;
        BusEvent event = event_at_now(BusEvent::Kind::kAdded, path);
        event.type = *type;
        event.properties = printable_properties(path, properties);
        event.properties.erase("Path");
        on_event(event);
      }
    } else if (member == "InterfacesRemoved") {
      const json interfaces = message::read_json(message);
      for (const json& interface : interfaces) {
        auto type = object_type_of_interface(interface.get<std::string>());
        if (!type) continue;
        BusEvent event = event_at_now(BusEvent::Kind::kRemoved, path);
        event.type = *type;
        on_event(event);
      }
    }
  });
  bus.subscribe(kPropertiesRule, [on_event](sd_bus_message* message) {
    std::string interface;
    message::read(message, "s", interface);
    auto type = object_type_of_interface(interface);
    if (!type) return;
    BusEvent event = event_at_now(BusEvent::Kind::kChanged, sd_bus_message_get_path(message));
    event.type = *type;
    event.properties = printable_properties(event.path, message::read_json(message));
    event.properties.erase("Path");
    on_event(event);
  });
}

void StateTracker::record(const BusEvent& event) {
  Seen& seen = seen_[event.path];
  if (event.kind == BusEvent::Kind::kRemoved) {
    seen.removed = true;
    return;
  }
  if (auto state = event.properties.find("State"); state != event.properties.end()) {
    seen.state = state->get<std::string>();
  }
  if (auto last = event.properties.find("LastResult"); last != event.properties.end()) {
    seen.last_result = *last;
  }
}

void StateTracker::wait_established(BusConnection& bus, const std::vector<std::string>& paths,
                                    std::chrono::seconds timeout) {
  // What the objects are now: a change before the subscription took effect
  // is not in `seen_`, but Get tells.
  for (const std::string& path : paths) {
    const char* interface =
        path.find("/session/") != std::string::npos ? kSessionInterface : kTunnelInterface;
    try {
      const json state = bus.property(path, interface, "State");
      if (seen_[path].state.empty()) seen_[path].state = state.get<std::string>();
    } catch (const CtlError& error) {
      if (error.status() != ExitStatus::kNoSuchObject) throw;
      seen_[path].removed = true;
    }
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    bool all_up = true;
    for (const std::string& path : paths) {
      const Seen& seen = seen_[path];
      if (seen.state == "closed" || seen.state == "closing" || seen.removed) {
        const auto name = name_of_path(path);
        const std::string result = last_result_text(json{{"LastResult", seen.last_result}});
        throw CtlError(
            ExitStatus::kFailure,
            fmt::format(fmt::runtime(_("{} {} failed: {}")),
                        name ? to_string(name->first) : "object", name ? name->second : path,
                        result == "-" ? std::string(_("closed")) : result));
      }
      if (seen.state != "established") all_up = false;
    }
    if (all_up) return;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      throw CtlError(ExitStatus::kTimeout,
                     fmt::format(fmt::runtime(_("timed out after {} waiting for established")),
                                 human_duration(timeout)));
    }
    if (!bus.process(left)) throw CtlError(ExitStatus::kFailure, _("interrupted"));
  }
}

}  // namespace l2tp::ctl
