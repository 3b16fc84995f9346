#include "lib/monitor_events.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <charconv>
#include <vector>

#include "lib/render.h"
#include "lib/translation.h"

namespace l2tp::ctl {

namespace {

using nlohmann::json;

bool is_decimal(std::string_view text) {
  std::uint32_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return !text.empty() && error == std::errc() && end == text.data() + text.size();
}

std::string local_time(std::chrono::system_clock::time_point time) {
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count() % 1000;
  const std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  std::tm local{};
  localtime_r(&seconds, &local);
  return fmt::format("{:%H:%M:%S}.{:03}", local, millis);
}

// A property's value as a person reads it in one line.
std::string value_text(const std::string& name, const json& value) {
  if (name == "LastResult") {
    std::string text = last_result_text(json{{"LastResult", value}});
    return text == "-" ? "none" : text;
  }
  if ((name == "Ip4Config" || name == "Ip6Config") && value.is_object()) {
    if (!value.contains("address")) return "none";
    std::string text = value.value("address", "");
    if (value.contains("peer")) text += " peer " + value.value("peer", "");
    return text;
  }
  if (value.is_string()) return value.get<std::string>();
  return value.dump();
}

std::string summary_of_added(ObjectType type, const json& properties) {
  std::vector<std::string> parts;
  const auto add = [&](const char* key, const char* label = nullptr) {
    auto it = properties.find(key);
    if (it == properties.end() || (it->is_string() && it->get<std::string>().empty())) return;
    std::string text = it->is_string() ? it->get<std::string>() : it->dump();
    parts.push_back(label ? std::string(label) + " " + text : text);
  };
  switch (type) {
    case ObjectType::kTunnel:
      add("State");
      add("Peer", "peer");
      add("ConfigFile", "config");
      break;
    case ObjectType::kSession:
      add("State");
      add("Pseudowire");
      add("InterfaceName");
      break;
    case ObjectType::kListener:
      add("State");
      add("Local");
      add("ConfigFile", "config");
      break;
    case ObjectType::kManager:
      break;
  }
  return fmt::format("{}", fmt::join(parts, ", "));
}

const char* kind_name(BusEvent::Kind kind) {
  switch (kind) {
    case BusEvent::Kind::kAdded:
      return "added";
    case BusEvent::Kind::kChanged:
      return "changed";
    case BusEvent::Kind::kRemoved:
      return "removed";
  }
  return "changed";
}

}  // namespace

std::optional<std::pair<ObjectType, std::string>> name_of_path(std::string_view path) {
  constexpr std::string_view kTunnels = "/org/l2tpbus1/tunnel/";
  constexpr std::string_view kListeners = "/org/l2tpbus1/listener/";
  if (path == "/org/l2tpbus1") return std::pair(ObjectType::kManager, std::string("l2tpbusd"));
  if (path.starts_with(kListeners) && is_decimal(path.substr(kListeners.size()))) {
    return std::pair(ObjectType::kListener,
                     "listener/" + std::string(path.substr(kListeners.size())));
  }
  if (!path.starts_with(kTunnels)) return std::nullopt;
  std::string_view rest = path.substr(kTunnels.size());
  const std::size_t slash = rest.find('/');
  if (slash == std::string_view::npos) {
    if (!is_decimal(rest)) return std::nullopt;
    return std::pair(ObjectType::kTunnel, std::string(rest));
  }
  const std::string_view tunnel = rest.substr(0, slash);
  rest.remove_prefix(slash);
  if (!rest.starts_with("/session/")) return std::nullopt;
  const std::string_view session = rest.substr(9);
  if (!is_decimal(tunnel) || !is_decimal(session)) return std::nullopt;
  return std::pair(ObjectType::kSession, std::string(tunnel) + "/" + std::string(session));
}

std::string monitor_line(const BusEvent& event, bool color) {
  const auto name = name_of_path(event.path);
  const std::string subject =
      name ? fmt::format("{} {}", to_string(name->first), name->second) : event.path;
  std::string line = local_time(event.time) + " " + subject;
  switch (event.kind) {
    case BusEvent::Kind::kAdded: {
      const std::string summary = summary_of_added(event.type, event.properties);
      line += std::string(" ") + _("added");
      if (!summary.empty()) line += ": " + summary;
      break;
    }
    case BusEvent::Kind::kRemoved:
      line += std::string(" ") + _("removed");
      break;
    case BusEvent::Kind::kChanged: {
      std::vector<std::string> parts;
      for (const auto& [key, value] : event.properties.items()) {
        // A raw timestamp says nothing to a person; State established does.
        if (key == "EstablishedTimestamp") continue;
        std::string text = value_text(key, value);
        if (key == "State") text = colored_state(text, color);
        parts.push_back(key + " " + text);
      }
      line += ": " + fmt::format("{}", fmt::join(parts, ", "));
      break;
    }
  }
  return line;
}

json monitor_json(const BusEvent& event) {
  const auto name = name_of_path(event.path);
  json out{
      {"Time", std::chrono::duration_cast<std::chrono::microseconds>(event.time.time_since_epoch())
                   .count()},
      {"Event", kind_name(event.kind)},
      {"Type", to_string(event.type)},
      {"Name", name ? name->second : event.path},
      {"Path", event.path},
  };
  if (event.kind != BusEvent::Kind::kRemoved) out["Properties"] = event.properties;
  return out;
}

}  // namespace l2tp::ctl
