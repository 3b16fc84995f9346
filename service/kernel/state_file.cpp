#include "kernel/state_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

namespace l2tp::kernel {

namespace {

std::vector<std::string_view> words(std::string_view line) {
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

bool number(std::string_view text, std::uint32_t& out) {
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
  return error == std::errc() && end == text.data() + text.size();
}

std::string errno_text() {
  return std::strerror(errno);
}

}  // namespace

std::string format_static_record(const StaticRecord& record) {
  std::ostringstream out;
  out << "# l2tpbusd: kernel objects of static tunnels it created\n";
  for (std::uint32_t tunnel : record.tunnels) out << "tunnel " << tunnel << '\n';
  for (const auto& [tunnel, session] : record.sessions)
    out << "session " << tunnel << ' ' << session << '\n';
  return out.str();
}

std::expected<StaticRecord, std::string> parse_static_record(std::string_view text) {
  StaticRecord record;
  std::size_t line_number = 0;
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    ++line_number;
    if (const std::size_t hash = line.find('#'); hash != std::string_view::npos)
      line = line.substr(0, hash);
    const auto w = words(line);
    if (w.empty()) continue;
    std::uint32_t tunnel = 0;
    std::uint32_t session = 0;
    if (w[0] == "tunnel" && w.size() == 2 && number(w[1], tunnel)) {
      record.tunnels.insert(tunnel);
    } else if (w[0] == "session" && w.size() == 3 && number(w[1], tunnel) &&
               number(w[2], session)) {
      record.sessions.insert({tunnel, session});
    } else {
      return std::unexpected("line " + std::to_string(line_number) + ": not understood");
    }
  }
  return record;
}

std::expected<StaticRecord, std::string> read_static_record(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    if (errno == ENOENT) return StaticRecord{};
    return std::unexpected(path + ": " + errno_text());
  }
  std::ostringstream text;
  text << in.rdbuf();
  auto record = parse_static_record(text.str());
  if (!record) return std::unexpected(path + ": " + record.error());
  return record;
}

std::expected<void, std::string> write_static_record(const std::string& path,
                                                     const StaticRecord& record) {
  if (const std::size_t slash = path.rfind('/'); slash != std::string::npos && slash > 0) {
    const std::string directory = path.substr(0, slash);
    if (mkdir(directory.c_str(), 0700) != 0 && errno != EEXIST)
      return std::unexpected(directory + ": " + errno_text());
  }
  const std::string temporary = path + ".new";
  const int fd = open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return std::unexpected(temporary + ": " + errno_text());
  const std::string text = format_static_record(record);
  std::size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = write(fd, text.data() + written, text.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      const std::string error = errno_text();
      close(fd);
      unlink(temporary.c_str());
      return std::unexpected(temporary + ": " + error);
    }
    written += static_cast<std::size_t>(n);
  }
  close(fd);
  if (rename(temporary.c_str(), path.c_str()) != 0) {
    const std::string error = errno_text();
    unlink(temporary.c_str());
    return std::unexpected(path + ": " + error);
  }
  return {};
}

}  // namespace l2tp::kernel
