#include "lib/render.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "lib/translation.h"

namespace l2tp::ctl {

namespace {

using nlohmann::json;

constexpr std::string_view kGreen = "\x1b[32m";
constexpr std::string_view kYellow = "\x1b[33m";
constexpr std::string_view kRed = "\x1b[31m";
constexpr std::string_view kBold = "\x1b[1m";
constexpr std::string_view kReset = "\x1b[0m";

// Columns count what a terminal shows: no escape sequences, one column per
// UTF-8 character.
std::size_t visible_width(std::string_view text) {
  std::size_t width = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\x1b') {
      while (i < text.size() && text[i] != 'm') ++i;
      continue;
    }
    if ((static_cast<unsigned char>(text[i]) & 0xc0) != 0x80) ++width;
  }
  return width;
}

std::string text_of(const json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end()) return "";
  if (it->is_string()) return it->get<std::string>();
  return it->dump();
}

std::uint64_t number_of(const json& object, const char* key, const char* inner = nullptr) {
  auto it = object.find(key);
  if (it == object.end()) return 0;
  if (inner) {
    if (!it->is_object()) return 0;
    auto nested = it->find(inner);
    return nested != it->end() && nested->is_number_unsigned() ? nested->get<std::uint64_t>() : 0;
  }
  return it->is_number_unsigned() ? it->get<std::uint64_t>() : 0;
}

std::string or_dash(std::string text) {
  return text.empty() ? "-" : text;
}

std::string uptime(const json& object, const RenderOptions& options) {
  const std::uint64_t since = number_of(object, "EstablishedTimestamp");
  if (since == 0 || text_of(object, "State") != "established") return "-";
  const auto established = std::chrono::system_clock::time_point(std::chrono::microseconds(since));
  const auto span = std::chrono::duration_cast<std::chrono::seconds>(options.now - established);
  return human_duration(std::max(span, std::chrono::seconds(0)));
}

std::string protocol(const json& object) {
  return fmt::format("v{} {}", number_of(object, "Version"), text_of(object, "Encapsulation"));
}

std::string traffic(const json& object, const char* direction) {
  const std::string bytes_key = std::string(direction) + "-bytes";
  const std::string packets_key = std::string(direction) + "-packets";
  return fmt::format("{} ({})", human_bytes(number_of(object, "Statistics", bytes_key.c_str())),
                     number_of(object, "Statistics", packets_key.c_str()));
}

std::string ip4_address(const json& session, const char* key) {
  auto config = session.find("Ip4Config");
  if (config == session.end() || !config->is_object()) return "-";
  return or_dash(config->value(key, ""));
}

std::string tunnel_ids(const json& listener) {
  std::vector<std::string> ids;
  for (const json& path : listener.value("Tunnels", json::array())) {
    const std::string text = path.get<std::string>();
    ids.push_back(text.substr(text.rfind('/') + 1));
  }
  return ids.empty() ? "-" : fmt::format("{}", fmt::join(ids, " "));
}

void tunnel_rows(Table& table, const ObjectModel& model, const RenderOptions& options) {
  for (const json& tunnel : model.tunnels) {
    table.add_row({display_name(ObjectType::kTunnel, tunnel),
                   colored_state(text_of(tunnel, "State"), options.color), text_of(tunnel, "Mode"),
                   protocol(tunnel), text_of(tunnel, "Role"), or_dash(text_of(tunnel, "Local")),
                   or_dash(text_of(tunnel, "Peer")), or_dash(text_of(tunnel, "PeerHostName")),
                   uptime(tunnel, options), or_dash(text_of(tunnel, "ConfigFile")),
                   last_result_text(tunnel)});
  }
}

Table tunnel_table() {
  return Table({_("TUNNEL"), _("STATE"), _("MODE"), _("L2TP"), _("ROLE"), _("LOCAL"), _("PEER"),
                _("PEER NAME"), _("UPTIME"), _("CONFIG"), _("LAST RESULT")});
}

void session_rows(Table& table, const std::vector<const json*>& sessions,
                  const RenderOptions& options) {
  for (const json* session : sessions) {
    table.add_row({display_name(ObjectType::kSession, *session),
                   colored_state(text_of(*session, "State"), options.color),
                   text_of(*session, "Pseudowire"), or_dash(text_of(*session, "InterfaceName")),
                   ip4_address(*session, "address"), ip4_address(*session, "peer"),
                   uptime(*session, options), traffic(*session, "rx"), traffic(*session, "tx"),
                   last_result_text(*session)});
  }
}

Table session_table() {
  return Table({_("SESSION"), _("STATE"), _("TYPE"), _("INTERFACE"), _("ADDRESS"),
                _("PEER ADDRESS"), _("UPTIME"), _("RX BYTES (PKTS)"), _("TX BYTES (PKTS)"),
                _("LAST RESULT")});
}

void listener_rows(Table& table, const ObjectModel& model, const RenderOptions& options) {
  for (const json& listener : model.listeners) {
    table.add_row({display_name(ObjectType::kListener, listener),
                   colored_state(or_dash(text_of(listener, "State")), options.color),
                   text_of(listener, "Local"), protocol(listener),
                   std::to_string(number_of(listener, "Statistics", "accepted")),
                   std::to_string(number_of(listener, "Statistics", "rejected")),
                   std::to_string(number_of(listener, "Statistics", "kernel-drops")),
                   tunnel_ids(listener), or_dash(text_of(listener, "ConfigFile"))});
  }
}

Table listener_table() {
  return Table({_("LISTENER"), _("STATE"), _("LOCAL"), _("L2TP"), _("ACCEPTED"), _("REJECTED"),
                _("KERNEL DROPS"), _("TUNNELS"), _("CONFIG")});
}

// The count in a translated singular or plural form ("{} tunnel").
// The config files, so that one put down or failing to load shows too
// (it has no object on the bus then).
std::string config_file_table(const ObjectModel& model, const RenderOptions& options) {
  auto files = model.daemon.find("ConfigFiles");
  if (files == model.daemon.end() || !files->is_array() || files->empty()) return "";
  Table table({_("CONFIG FILE"), _("STATE"), _("MESSAGE")});
  for (const json& file : *files) {
    if (!file.is_array() || file.size() != 3) continue;
    table.add_row({file[0].get<std::string>(),
                   colored_state(file[1].get<std::string>(), options.color),
                   or_dash(file[2].get<std::string>())});
  }
  return table.render(options.legend);
}

std::string counted(std::size_t count, const char* form) {
  return fmt::format(fmt::runtime(form), count);
}
std::string tunnels_counted(std::size_t n) {
  return counted(n, dngettext("l2tpbus", "{} tunnel", "{} tunnels", n));
}
std::string sessions_counted(std::size_t n) {
  return counted(n, dngettext("l2tpbus", "{} session", "{} sessions", n));
}
std::string listeners_counted(std::size_t n) {
  return counted(n, dngettext("l2tpbus", "{} listener", "{} listeners", n));
}

std::string legend(const ObjectModel& model) {
  return fmt::format("{}, {}, {}.\n", tunnels_counted(model.tunnels.size()),
                     sessions_counted(model.sessions.size()),
                     listeners_counted(model.listeners.size()));
}

// "      Label: value" lines, the labels right-aligned as networkctl does.
class Details {
 public:
  void add(std::string label, std::string value) {
    if (!value.empty()) lines_.emplace_back(std::move(label), std::move(value));
  }
  std::string render() const {
    std::size_t width = 0;
    for (const auto& [label, value] : lines_) width = std::max(width, visible_width(label));
    std::string out;
    for (const auto& [label, value] : lines_) {
      out += std::string(width - visible_width(label) + 2, ' ') + label + ": " + value + "\n";
    }
    return out;
  }

 private:
  std::vector<std::pair<std::string, std::string>> lines_;
};

std::string heading(ObjectType type, const json& object, const RenderOptions& options) {
  std::string title = fmt::format("{} {}", to_string(type), display_name(type, object));
  if (options.color) title = std::string(kBold) + title + std::string(kReset);
  return fmt::format("● {} ({})\n", title, text_of(object, "Path"));
}

std::string state_line(const json& object, const RenderOptions& options) {
  std::string state = colored_state(text_of(object, "State"), options.color);
  const std::string up = uptime(object, options);
  if (up != "-") state += fmt::format(fmt::runtime(_(" (up {})")), up);
  return state;
}

std::string tunnel_details(const ObjectModel& model, const json& tunnel,
                           const RenderOptions& options) {
  Details details;
  details.add(_("State"), state_line(tunnel, options));
  details.add(_("Mode"), fmt::format("{}, L2TPv{} over {}, {}", text_of(tunnel, "Mode"),
                                     number_of(tunnel, "Version"), text_of(tunnel, "Encapsulation"),
                                     text_of(tunnel, "Role")));
  details.add(_("Local"), text_of(tunnel, "Local"));
  std::string peer = text_of(tunnel, "Peer");
  if (number_of(tunnel, "PeerTunnelId") != 0)
    peer += fmt::format(fmt::runtime(_(", tunnel {}")), number_of(tunnel, "PeerTunnelId"));
  if (!text_of(tunnel, "PeerHostName").empty())
    peer += fmt::format(", \"{}\"", text_of(tunnel, "PeerHostName"));
  if (!text_of(tunnel, "PeerVendorName").empty())
    peer += fmt::format(" ({})", text_of(tunnel, "PeerVendorName"));
  details.add(_("Peer"), peer);
  details.add(_("Config file"), text_of(tunnel, "ConfigFile"));
  details.add(_("Owner"), fmt::format(fmt::runtime(_("uid {}")), number_of(tunnel, "Owner")));
  if (const std::string listener = text_of(tunnel, "Listener"); listener.size() > 1) {
    details.add(_("Listener"), "listener/" + listener.substr(listener.rfind('/') + 1));
  }
  auto ipsec = tunnel.find("Ipsec");
  if (ipsec != tunnel.end() && ipsec->is_object() && ipsec->value("state", "none") != "none") {
    std::string text = ipsec->value("state", "");
    if (ipsec->contains("ike-version"))
      text += fmt::format(", IKEv{}", ipsec->at("ike-version").get<std::uint64_t>());
    if (ipsec->contains("ike-proposal")) text += ", IKE " + ipsec->value("ike-proposal", "");
    if (ipsec->contains("esp-proposal")) text += ", ESP " + ipsec->value("esp-proposal", "");
    if (ipsec->value("nat-traversal", false)) text += ", NAT-T";
    details.add(_("IPsec"), text);
  }
  details.add(_("Control"),
              fmt::format(fmt::runtime(_("{} sent, {} received, {} retransmitted, {} hellos")),
                          number_of(tunnel, "Statistics", "control-tx"),
                          number_of(tunnel, "Statistics", "control-rx"),
                          number_of(tunnel, "Statistics", "retransmits"),
                          number_of(tunnel, "Statistics", "hello-tx")));
  details.add(_("Traffic"), fmt::format(fmt::runtime(_("rx {}, tx {}")), traffic(tunnel, "rx"),
                                        traffic(tunnel, "tx")));
  std::vector<std::string> sessions;
  for (const json* session : model.sessions_of(tunnel)) {
    sessions.push_back(fmt::format(
        "{} ({}{})", display_name(ObjectType::kSession, *session), text_of(*session, "State"),
        text_of(*session, "InterfaceName").empty() ? ""
                                                   : ", " + text_of(*session, "InterfaceName")));
  }
  details.add(_("Sessions"), sessions.empty() ? "-" : fmt::format("{}", fmt::join(sessions, ", ")));
  details.add(_("Last result"), last_result_text(tunnel));
  return details.render();
}

std::string ip_config_text(const json& config) {
  if (!config.is_object() || !config.contains("address")) return "";
  std::string text =
      fmt::format("{}/{}", config.value("address", ""), config.value("prefix", std::uint64_t{32}));
  if (config.contains("peer"))
    text += fmt::format(fmt::runtime(_(" peer {}")), config.value("peer", ""));
  if (config.contains("dns") && !config["dns"].empty())
    text += fmt::format(", DNS {}", fmt::join(config["dns"].get<std::vector<std::string>>(), " "));
  if (config.contains("mtu"))
    text += fmt::format(", MTU {}", config.value("mtu", std::uint64_t{0}));
  return text;
}

std::string session_details(const json& session, const RenderOptions& options) {
  Details details;
  details.add(_("State"), state_line(session, options));
  std::string pseudowire = text_of(session, "Pseudowire");
  if (number_of(session, "PeerSessionId") != 0)
    pseudowire +=
        fmt::format(fmt::runtime(_(", peer session {}")), number_of(session, "PeerSessionId"));
  details.add(_("Pseudowire"), pseudowire);
  details.add(_("Interface"), text_of(session, "InterfaceName"));
  details.add(_("Owner"), fmt::format(fmt::runtime(_("uid {}")), number_of(session, "Owner")));
  details.add("IPv4", ip_config_text(session.value("Ip4Config", json::object())));
  std::string ip6 = ip_config_text(session.value("Ip6Config", json::object()));
  if (ip6.empty() && text_of(session, "Ip6Negotiation") != "off")
    ip6 = text_of(session, "Ip6Negotiation");
  details.add("IPv6", ip6);
  details.add(_("Traffic"),
              fmt::format(fmt::runtime(_("rx {}, tx {}, {} errors, {} out of sequence")),
                          traffic(session, "rx"), traffic(session, "tx"),
                          number_of(session, "Statistics", "rx-errors") +
                              number_of(session, "Statistics", "tx-errors"),
                          number_of(session, "Statistics", "rx-oos-packets")));
  details.add(_("Last result"), last_result_text(session));
  return details.render();
}

std::string listener_details(const json& listener, const RenderOptions& options) {
  Details details;
  details.add(_("State"), colored_state(or_dash(text_of(listener, "State")), options.color));
  details.add(_("Local"),
              fmt::format("{}, L2TPv{} over {}", text_of(listener, "Local"),
                          number_of(listener, "Version"), text_of(listener, "Encapsulation")));
  details.add(_("Config file"), text_of(listener, "ConfigFile"));
  details.add(_("Tunnels"), tunnel_ids(listener));
  std::vector<std::string> counters;
  if (auto statistics = listener.find("Statistics"); statistics != listener.end()) {
    for (const auto& [name, value] : statistics->items()) {
      counters.push_back(fmt::format("{} {}", value.dump(), name));
    }
  }
  details.add(_("Counters"), counters.empty() ? "-" : fmt::format("{}", fmt::join(counters, ", ")));
  return details.render();
}

}  // namespace

std::string human_bytes(std::uint64_t bytes) {
  if (bytes < 1024) return fmt::format("{} B", bytes);
  static constexpr std::array<const char*, 5> kUnits{"KiB", "MiB", "GiB", "TiB", "PiB"};
  double value = static_cast<double>(bytes) / 1024;
  std::size_t unit = 0;
  while (value >= 1024 && unit + 1 < kUnits.size()) {
    value /= 1024;
    ++unit;
  }
  return fmt::format("{:.1f} {}", value, kUnits[unit]);
}

std::string human_duration(std::chrono::seconds span) {
  const long long total = span.count();
  const long long days = total / 86400, hours = total % 86400 / 3600;
  const long long minutes = total % 3600 / 60, seconds = total % 60;
  if (days > 0) return hours ? fmt::format("{}d {}h", days, hours) : fmt::format("{}d", days);
  if (hours > 0)
    return minutes ? fmt::format("{}h {}min", hours, minutes) : fmt::format("{}h", hours);
  if (minutes > 0)
    return seconds ? fmt::format("{}min {}s", minutes, seconds) : fmt::format("{}min", minutes);
  return fmt::format("{}s", seconds);
}

std::string last_result_text(const json& object) {
  auto last = object.find("LastResult");
  if (last == object.end() || !last->is_object()) return "-";
  const std::uint64_t result = last->value("Result", std::uint64_t{0});
  const std::uint64_t error = last->value("Error", std::uint64_t{0});
  const std::string message = last->value("Message", "");
  if (result == 0 && error == 0 && message.empty()) return "-";
  std::string text = error ? fmt::format("{}/{}", result, error) : std::to_string(result);
  if (!message.empty()) text += " " + message;
  return text;
}

void Table::add_row(std::vector<std::string> cells) {
  cells.resize(headers_.size());
  rows_.push_back(std::move(cells));
}

std::string Table::render(bool legend) const {
  std::vector<std::size_t> widths(headers_.size(), 0);
  for (std::size_t c = 0; c < headers_.size(); ++c) {
    if (legend) widths[c] = visible_width(headers_[c]);
    for (const auto& row : rows_) widths[c] = std::max(widths[c], visible_width(row[c]));
  }
  const auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (std::size_t c = 0; c < cells.size(); ++c) {
      out += cells[c];
      if (c + 1 < cells.size()) out += std::string(widths[c] - visible_width(cells[c]) + 2, ' ');
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out + "\n";
  };
  std::string out;
  if (legend) out += line(headers_);
  for (const auto& row : rows_) out += line(row);
  return out;
}

std::string colored_state(std::string_view state, bool color) {
  if (!color) return std::string(state);
  std::string_view code;
  if (state == "established" || state == "listening" || state == "up") code = kGreen;
  if (state == "connecting" || state == "closing" || state == "waiting") code = kYellow;
  if (state == "closed" || state == "failed") code = kRed;
  if (code.empty()) return std::string(state);
  return std::string(code) + std::string(state) + std::string(kReset);
}

std::string render_overview(const ObjectModel& model, const RenderOptions& options) {
  std::string out;
  Table tunnels = tunnel_table();
  tunnel_rows(tunnels, model, options);
  if (!tunnels.empty()) out += tunnels.render(options.legend);
  Table sessions = session_table();
  std::vector<const json*> all_sessions;
  for (const json& session : model.sessions) all_sessions.push_back(&session);
  session_rows(sessions, all_sessions, options);
  if (!sessions.empty()) out += (out.empty() ? "" : "\n") + sessions.render(options.legend);
  Table listeners = listener_table();
  listener_rows(listeners, model, options);
  if (!listeners.empty()) out += (out.empty() ? "" : "\n") + listeners.render(options.legend);
  if (const std::string files = config_file_table(model, options); !files.empty()) {
    out += (out.empty() ? "" : "\n") + files;
  }
  if (options.legend) out += (out.empty() ? "" : "\n") + legend(model);
  return out;
}

std::string render_list(const ObjectModel& model, ObjectType type, const RenderOptions& options) {
  std::string out;
  std::size_t count = 0;
  if (type == ObjectType::kTunnel) {
    Table table = tunnel_table();
    tunnel_rows(table, model, options);
    out = table.render(options.legend);
    count = model.tunnels.size();
  } else if (type == ObjectType::kSession) {
    Table table = session_table();
    std::vector<const json*> sessions;
    for (const json& session : model.sessions) sessions.push_back(&session);
    session_rows(table, sessions, options);
    out = table.render(options.legend);
    count = model.sessions.size();
  } else {
    Table table = listener_table();
    listener_rows(table, model, options);
    out = table.render(options.legend);
    count = model.listeners.size();
  }
  if (options.legend) {
    if (type == ObjectType::kTunnel) out += "\n" + tunnels_counted(count);
    if (type == ObjectType::kSession) out += "\n" + sessions_counted(count);
    if (type == ObjectType::kListener) out += "\n" + listeners_counted(count);
    out += ".\n";
  }
  return out;
}

std::string render_details(const ObjectModel& model, const ObjectRef& object,
                           const RenderOptions& options) {
  std::string out = heading(object.type, *object.object, options);
  switch (object.type) {
    case ObjectType::kTunnel:
      return out + tunnel_details(model, *object.object, options);
    case ObjectType::kSession:
      return out + session_details(*object.object, options);
    case ObjectType::kListener:
      return out + listener_details(*object.object, options);
    case ObjectType::kManager:
      break;
  }
  return out;
}

}  // namespace l2tp::ctl
