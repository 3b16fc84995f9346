// The kernel objects of static tunnels that l2tpbusd created, kept in its
// runtime directory. Static tunnels have no socket of ours, so they outlive
// the daemon; after a crash or SIGKILL the next start reads this record to
// adopt the ones its config files create again and delete the others.
// (Managed tunnels need no record: they die with our sockets.)
//
// Format, one object a line: "tunnel ID" or "session TUNNEL_ID SESSION_ID";
// '#' starts a comment.
//
// The state directory decides what a later root daemon deletes or kills, so
// it is trusted only when its owner is the daemon's (root) and nobody else
// can write into it; files in it are opened relative to the verified
// directory, never through a symbolic link, and replaced atomically (a
// temporary file created exclusively, fsync, rename, fsync of the directory).
#pragma once

#include <sys/types.h>
#include <unistd.h>

#include <charconv>
#include <cstdint>
#include <expected>
#include <functional>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace l2tp::kernel {

struct StaticRecord {
  std::set<std::uint32_t> tunnels;
  std::set<std::pair<std::uint32_t, std::uint32_t>> sessions;
  bool operator==(const StaticRecord&) const = default;
};

// Record files are lines of words; '#' starts a comment and blank lines are
// skipped. `accept` gets each line's words and returns false for a line it
// does not understand, which ends the reading with "line N: not understood".
std::expected<void, std::string> for_each_record_line(
    std::string_view text,
    const std::function<bool(const std::vector<std::string_view>& words)>& accept);

// The words of a line, split at spaces and tabs.
std::vector<std::string_view> record_words(std::string_view line);

// A whole word as an unsigned number.
template <typename Number>
bool parse_record_number(std::string_view word, Number& out) {
  const auto [end, error] = std::from_chars(word.data(), word.data() + word.size(), out);
  return error == std::errc() && end == word.data() + word.size();
}

std::string format_static_record(const StaticRecord& record);
// Unknown or malformed lines are errors, naming the line.
std::expected<StaticRecord, std::string> parse_static_record(std::string_view text);

// The files of a state directory. `expected_owner` is the daemon's own uid
// (root in production; a parameter so that tests running as root can prove
// the refusal of a directory owned by someone else). A directory that is
// missing is created (0700); one that is a symbolic link, not a directory,
// not owned by `expected_owner`, or writable by group or others is refused
// with an error naming it, and nothing is read or written.
//
// Reading a missing file gives an empty text.
std::expected<std::string, std::string> read_state_file(const std::string& directory,
                                                        const std::string& name,
                                                        uid_t expected_owner = geteuid());
std::expected<void, std::string> write_state_file(const std::string& directory,
                                                  const std::string& name, std::string_view text,
                                                  uid_t expected_owner = geteuid());

// The record at `path` (directory/name). A missing file is an empty record.
std::expected<StaticRecord, std::string> read_static_record(const std::string& path,
                                                            uid_t expected_owner = geteuid());
std::expected<void, std::string> write_static_record(const std::string& path,
                                                     const StaticRecord& record,
                                                     uid_t expected_owner = geteuid());

}  // namespace l2tp::kernel
