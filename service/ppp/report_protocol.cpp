#include "ppp/report_protocol.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <utility>

namespace l2tp::ppp {
namespace {

constexpr std::size_t kMaxInterfaceName = 15;  // IFNAMSIZ - 1

std::unexpected<std::string> fail(std::string message) {
  return std::unexpected(std::move(message));
}

std::vector<std::string_view> split(std::string_view line) {
  std::vector<std::string_view> fields;
  std::size_t start = 0;
  while (start <= line.size()) {
    const std::size_t space = line.find(' ', start);
    const std::size_t end = space == std::string_view::npos ? line.size() : space;
    fields.push_back(line.substr(start, end - start));
    start = end + 1;
  }
  return fields;
}

bool is_interface_name(std::string_view name) {
  return !name.empty() && name.size() <= kMaxInterfaceName && std::ranges::all_of(name, [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
  });
}

// "-" means none; anything else must be a dotted IPv4 address.
std::expected<std::string, std::string> optional_ipv4(std::string_view field) {
  if (field == "-") return std::string();
  const std::string text(field);
  in_addr address{};
  if (inet_pton(AF_INET, text.c_str(), &address) != 1) return fail("not an IPv4 address");
  return text;
}

template <typename Integer>
std::optional<Integer> number(std::string_view field) {
  Integer value{};
  const auto [end, error] = std::from_chars(field.data(), field.data() + field.size(), value);
  if (error != std::errc() || end != field.data() + field.size() || field.empty()) {
    return std::nullopt;
  }
  return value;
}

bool is_interface_id(std::string_view field) {
  return field.size() == 16 && std::ranges::all_of(field, [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

std::expected<Report, std::string> parse_ipcp_up(const std::vector<std::string_view>& fields) {
  if (fields.size() != 7) return fail("IPCP-UP needs 6 fields");
  IpcpUpReport report;
  if (!is_interface_name(fields[1])) return fail("IPCP-UP: bad interface name");
  report.interface_name = fields[1];
  const auto local = optional_ipv4(fields[2]);
  const auto peer = optional_ipv4(fields[3]);
  if (!local || local->empty()) return fail("IPCP-UP: bad local address");
  if (!peer) return fail("IPCP-UP: bad peer address");
  report.local_address = *local;
  report.peer_address = *peer;
  for (std::size_t i = 4; i <= 5; ++i) {
    const auto dns = optional_ipv4(fields[i]);
    if (!dns) return fail("IPCP-UP: bad DNS address");
    // pppd fills both slots from a single ms-dns on the other side.
    if (!dns->empty() && std::ranges::find(report.dns, *dns) == report.dns.end()) {
      report.dns.push_back(*dns);
    }
  }
  // pppd says -1 when it cannot read the MTU.
  if (fields[6] != "-1") {
    const auto mtu = number<std::uint32_t>(fields[6]);
    if (!mtu || *mtu > 65535) return fail("IPCP-UP: bad MTU");
    report.mtu = *mtu;
  }
  return report;
}

std::expected<Report, std::string> parse_ipv6cp_up(const std::vector<std::string_view>& fields) {
  if (fields.size() != 4) return fail("IPV6CP-UP needs 3 fields");
  if (!is_interface_name(fields[1])) return fail("IPV6CP-UP: bad interface name");
  if (!is_interface_id(fields[2]) || !is_interface_id(fields[3])) {
    return fail("IPV6CP-UP: bad interface identifier");
  }
  return Ipv6cpUpReport{std::string(fields[1]), std::string(fields[2]), std::string(fields[3])};
}

}  // namespace

std::expected<Report, std::string> parse_report(std::string_view line) {
  if (line.empty()) return fail("empty report");
  const std::vector<std::string_view> fields = split(line);
  const std::string_view verb = fields[0];
  if (verb == "PHASE" || verb == "EXIT") {
    if (fields.size() != 2) return fail(std::string(verb) + " needs 1 field");
    const auto value = number<int>(fields[1]);
    if (!value || *value < 0 || *value > 255) return fail(std::string(verb) + ": bad number");
    if (verb == "PHASE") return PhaseReport{*value};
    return ExitReport{*value};
  }
  if (verb == "IPCP-UP") return parse_ipcp_up(fields);
  if (verb == "IPV6CP-UP") return parse_ipv6cp_up(fields);
  static constexpr std::array<std::pair<std::string_view, Report (*)()>, 4> kBareVerbs{{
      {"IPCP-DOWN", []() -> Report { return IpcpDownReport{}; }},
      {"IPV6CP-DOWN", []() -> Report { return Ipv6cpDownReport{}; }},
      {"IPV6CP-REFUSED", []() -> Report { return Ipv6cpRefusedReport{}; }},
      {"IPV6CP-OFF", []() -> Report { return Ipv6cpOffReport{}; }},
  }};
  for (const auto& [name, make] : kBareVerbs) {
    if (verb != name) continue;
    if (fields.size() != 1) return fail(std::string(verb) + " takes no fields");
    return make();
  }
  return fail("unknown report");
}

const char* phase_name(int phase) {
  // pppd.h's PHASE_* values, in order.
  static constexpr std::array<const char*, 13> kNames{
      "dead",     "initialize", "serial connection", "dormant",   "establish",  "authenticate",
      "callback", "network",    "running",           "terminate", "disconnect", "holdoff",
      "master"};
  if (phase < 0 || static_cast<std::size_t>(phase) >= kNames.size()) return "unknown";
  return kNames[static_cast<std::size_t>(phase)];
}

void ReportReader::feed(std::string_view bytes) {
  while (!bytes.empty()) {
    const std::size_t newline = bytes.find('\n');
    if (skipping_) {
      if (newline == std::string_view::npos) return;
      skipping_ = false;
      bytes.remove_prefix(newline + 1);
      continue;
    }
    if (newline == std::string_view::npos) {
      partial_.append(bytes);
      if (partial_.size() > kMaxLine) {
        ready_.push_back(fail("report line too long"));
        partial_.clear();
        skipping_ = true;
      }
      return;
    }
    partial_.append(bytes.substr(0, newline));
    bytes.remove_prefix(newline + 1);
    if (partial_.size() > kMaxLine) {
      ready_.push_back(fail("report line too long"));
    } else {
      ready_.push_back(parse_report(partial_));
    }
    partial_.clear();
  }
}

std::optional<std::expected<Report, std::string>> ReportReader::next() {
  if (ready_.empty()) return std::nullopt;
  auto report = std::move(ready_.front());
  ready_.pop_front();
  return report;
}

std::string link_local_address(std::string_view interface_id) {
  if (!is_interface_id(interface_id)) return {};
  in6_addr address{};
  address.s6_addr[0] = 0xfe;
  address.s6_addr[1] = 0x80;
  for (std::size_t i = 0; i < 8; ++i) {
    const std::string_view digits = interface_id.substr(2 * i, 2);
    std::uint8_t byte = 0;
    std::from_chars(digits.data(), digits.data() + digits.size(), byte, 16);
    address.s6_addr[8 + i] = byte;
  }
  char text[INET6_ADDRSTRLEN];
  if (inet_ntop(AF_INET6, &address, text, sizeof text) == nullptr) return {};
  return text;
}

}  // namespace l2tp::ppp
