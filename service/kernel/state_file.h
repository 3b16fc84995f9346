// The kernel objects of static tunnels that l2tpbusd created, kept in its
// runtime directory. Static tunnels have no socket of ours, so they outlive
// the daemon; after a crash or SIGKILL the next start reads this record to
// adopt the ones its config files create again and delete the others.
// (Managed tunnels need no record: they die with our sockets.)
//
// Format, one object a line: "tunnel ID" or "session TUNNEL_ID SESSION_ID";
// '#' starts a comment. Written whole to a temporary file and renamed.
#pragma once

#include <cstdint>
#include <expected>
#include <set>
#include <string>
#include <string_view>
#include <utility>

namespace l2tp::kernel {

struct StaticRecord {
  std::set<std::uint32_t> tunnels;
  std::set<std::pair<std::uint32_t, std::uint32_t>> sessions;
  bool operator==(const StaticRecord&) const = default;
};

std::string format_static_record(const StaticRecord& record);
// Unknown or malformed lines are errors, naming the line.
std::expected<StaticRecord, std::string> parse_static_record(std::string_view text);

// A missing file is an empty record.
std::expected<StaticRecord, std::string> read_static_record(const std::string& path);
// Creates the directory (0700) when missing.
std::expected<void, std::string> write_static_record(const std::string& path,
                                                     const StaticRecord& record);

}  // namespace l2tp::kernel
