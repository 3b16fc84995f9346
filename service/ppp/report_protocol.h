// What our pppd plugin (plugin/l2tpbus-pppd.c) says over its socket: one
// line per event. The parser trusts nothing: pppd runs as root but speaks
// for a peer, and a line that does not parse is reported, not guessed at.
#pragma once

#include <cstdint>
#include <deque>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace l2tp::ppp {

struct PhaseReport {
  int phase = 0;  // pppd's PHASE_* number
};
struct IpcpUpReport {
  std::string interface_name;
  std::string local_address;
  std::string peer_address;  // empty: the peer gave none
  std::vector<std::string> dns;
  std::uint32_t mtu = 0;
};
struct IpcpDownReport {};
struct Ipv6cpUpReport {
  std::string interface_name;
  std::string local_interface_id;  // 16 hex digits
  std::string peer_interface_id;
};
struct Ipv6cpDownReport {};
// IPV6CP will not come up: the peer rejected the protocol or IPV6CP ended
// before it opened.
struct Ipv6cpRefusedReport {};
// pppd runs without IPV6CP.
struct Ipv6cpOffReport {};
struct ExitReport {
  int status = 0;
};

using Report = std::variant<PhaseReport, IpcpUpReport, IpcpDownReport, Ipv6cpUpReport,
                            Ipv6cpDownReport, Ipv6cpRefusedReport, Ipv6cpOffReport, ExitReport>;

// One line without its newline.
std::expected<Report, std::string> parse_report(std::string_view line);

// The link-local address (canonical text, "fe80::1") an IPV6CP interface
// identifier (16 hex digits, as in Ipv6cpUpReport) makes; empty if malformed.
std::string link_local_address(std::string_view interface_id);

// pppd's name for a PHASE_* number ("network", "running", ...).
const char* phase_name(int phase);

// Splits a byte stream into lines. A line longer than kMaxLine is an error
// (reported once), and the rest of it is skipped up to its newline.
class ReportReader {
 public:
  static constexpr std::size_t kMaxLine = 256;
  void feed(std::string_view bytes);
  // The next complete line's report or error; nullopt when none is complete.
  std::optional<std::expected<Report, std::string>> next();

 private:
  std::string partial_;
  std::deque<std::expected<Report, std::string>> ready_;
  bool skipping_ = false;  // inside an overlong line
};

}  // namespace l2tp::ppp
