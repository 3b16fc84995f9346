#include "kernel/state_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <sstream>
#include <utility>
#include <vector>

#include "kernel/unique_fd.h"

namespace l2tp::kernel {

std::vector<std::string_view> record_words(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    const std::size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

namespace {

std::string errno_text(int error = errno) {
  return std::strerror(error);
}

std::pair<std::string, std::string> split_path(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  if (slash == std::string::npos) return {".", path};
  return {slash == 0 ? "/" : path.substr(0, slash), path.substr(slash + 1)};
}

// The directory, created when missing, as a descriptor that later calls use
// instead of its name (which could be swapped after the check).
std::expected<UniqueFd, std::string> open_state_directory(const std::string& directory,
                                                          uid_t expected_owner) {
  if (mkdir(directory.c_str(), 0700) != 0 && errno != EEXIST)
    return std::unexpected(directory + ": " + errno_text());
  const int fd = open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ELOOP || errno == ENOTDIR)
      return std::unexpected(directory + ": not a directory (a symbolic link?); refused");
    return std::unexpected(directory + ": " + errno_text());
  }
  UniqueFd owned(fd);
  struct stat status {};
  if (fstat(fd, &status) != 0) return std::unexpected(directory + ": " + errno_text());
  if (status.st_uid != expected_owner)
    return std::unexpected(directory + ": owned by uid " + std::to_string(status.st_uid) +
                           ", not " + std::to_string(expected_owner) + "; refused");
  if ((status.st_mode & (S_IWGRP | S_IWOTH)) != 0)
    return std::unexpected(directory + ": writable by group or others; refused");
  return owned;
}

std::expected<void, std::string> write_all(int fd, std::string_view text) {
  while (!text.empty()) {
    const ssize_t n = write(fd, text.data(), text.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return std::unexpected(errno_text());
    }
    text.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

}  // namespace

std::expected<std::string, std::string> read_state_file(const std::string& directory,
                                                        const std::string& name,
                                                        uid_t expected_owner) {
  auto directory_fd = open_state_directory(directory, expected_owner);
  if (!directory_fd) return std::unexpected(directory_fd.error());
  const std::string path = directory + "/" + name;
  const int fd = openat(directory_fd->get(), name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::string();
    return std::unexpected(path + ": " + errno_text());
  }
  UniqueFd file(fd);
  struct stat status {};
  if (fstat(fd, &status) != 0) return std::unexpected(path + ": " + errno_text());
  if (!S_ISREG(status.st_mode)) return std::unexpected(path + ": not a regular file; refused");
  std::string text;
  char buffer[4096];
  for (;;) {
    const ssize_t n = read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::unexpected(path + ": " + errno_text());
    if (n == 0) break;
    text.append(buffer, static_cast<std::size_t>(n));
  }
  return text;
}

std::expected<void, std::string> write_state_file(const std::string& directory,
                                                  const std::string& name, std::string_view text,
                                                  uid_t expected_owner) {
  auto directory_fd = open_state_directory(directory, expected_owner);
  if (!directory_fd) return std::unexpected(directory_fd.error());
  const int dir = directory_fd->get();
  const std::string temporary = name + ".new";
  const std::string temporary_path = directory + "/" + temporary;
  constexpr int kCreate = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
  int fd = openat(dir, temporary.c_str(), kCreate, 0600);
  if (fd < 0 && errno == EEXIST) {
    // Left by a daemon that died mid-write (only the owner can write here):
    // the entry itself goes, whatever it is, and nothing it points to.
    if (unlinkat(dir, temporary.c_str(), 0) != 0)
      return std::unexpected(temporary_path + ": " + errno_text());
    fd = openat(dir, temporary.c_str(), kCreate, 0600);
  }
  if (fd < 0) return std::unexpected(temporary_path + ": " + errno_text());
  UniqueFd file(fd);
  auto written = write_all(fd, text);
  if (written && fsync(fd) != 0) written = std::unexpected(errno_text());
  if (!written) {
    unlinkat(dir, temporary.c_str(), 0);
    return std::unexpected(temporary_path + ": " + written.error());
  }
  file.reset();
  if (renameat(dir, temporary.c_str(), dir, name.c_str()) != 0) {
    const std::string error = errno_text();
    unlinkat(dir, temporary.c_str(), 0);
    return std::unexpected(directory + "/" + name + ": " + error);
  }
  // The rename itself survives a power cut only once the directory is synced.
  if (fsync(dir) != 0) return std::unexpected(directory + ": " + errno_text());
  return {};
}

std::string format_static_record(const StaticRecord& record) {
  std::ostringstream out;
  out << "# l2tpbusd: kernel objects of static tunnels it created\n";
  for (std::uint32_t tunnel : record.tunnels) out << "tunnel " << tunnel << '\n';
  for (const auto& [tunnel, session] : record.sessions)
    out << "session " << tunnel << ' ' << session << '\n';
  return out.str();
}

std::expected<void, std::string> for_each_record_line(
    std::string_view text,
    const std::function<bool(const std::vector<std::string_view>& words)>& accept) {
  std::size_t line_number = 0;
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    ++line_number;
    if (const std::size_t hash = line.find('#'); hash != std::string_view::npos)
      line = line.substr(0, hash);
    const std::vector<std::string_view> line_words = record_words(line);
    if (line_words.empty()) continue;
    if (!accept(line_words)) {
      return std::unexpected("line " + std::to_string(line_number) + ": not understood");
    }
  }
  return {};
}

std::expected<StaticRecord, std::string> parse_static_record(std::string_view text) {
  StaticRecord record;
  auto read = for_each_record_line(text, [&record](const std::vector<std::string_view>& w) {
    std::uint32_t tunnel = 0;
    std::uint32_t session = 0;
    if (w[0] == "tunnel" && w.size() == 2 && parse_record_number(w[1], tunnel)) {
      record.tunnels.insert(tunnel);
      return true;
    }
    if (w[0] == "session" && w.size() == 3 && parse_record_number(w[1], tunnel) &&
        parse_record_number(w[2], session)) {
      record.sessions.insert({tunnel, session});
      return true;
    }
    return false;
  });
  if (!read) return std::unexpected(read.error());
  return record;
}

std::expected<StaticRecord, std::string> read_static_record(const std::string& path,
                                                            uid_t expected_owner) {
  const auto [directory, name] = split_path(path);
  auto text = read_state_file(directory, name, expected_owner);
  if (!text) return std::unexpected(text.error());
  auto record = parse_static_record(*text);
  if (!record) return std::unexpected(path + ": " + record.error());
  return record;
}

std::expected<void, std::string> write_static_record(const std::string& path,
                                                     const StaticRecord& record,
                                                     uid_t expected_owner) {
  const auto [directory, name] = split_path(path);
  return write_state_file(directory, name, format_static_record(record), expected_owner);
}

}  // namespace l2tp::kernel
