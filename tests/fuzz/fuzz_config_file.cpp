// libFuzzer target: the bytes of a config file, read by the daemon's own
// loaders (GKeyFile and the layout scan, then the option vocabulary).
//
// Input: byte 0 selects the loader, the rest is the file's content.
//   bit 0  0: a *.tunnel file (load_tunnel_file), 1: l2tpbusd.conf
//          (load_daemon_settings)
// The content is written to a memfd and loaded through /proc/self/fd, so the
// loaders' own reading (stat, size limit, g_file_get_contents) runs too and
// nothing touches the disk.
// tests/fuzz/make_option_seeds.py writes seeds in this format.
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "config/files.h"

namespace {

using namespace l2tp;

// One memfd for the whole run; each input replaces its content.
const std::string& file_with(const std::uint8_t* data, std::size_t size) {
  static const int fd = memfd_create("l2tpbus-fuzz-config", MFD_CLOEXEC);
  static const std::string path = "/proc/self/fd/" + std::to_string(fd);
  if (fd < 0 || ftruncate(fd, 0) != 0) std::abort();
  std::size_t written = 0;
  while (written < size) {
    const ssize_t n = pwrite(fd, data + written, size - written, static_cast<off_t>(written));
    if (n <= 0) std::abort();
    written += static_cast<std::size_t>(n);
  }
  return path;
}

// Errors read "PATH:LINE: ...": the path as given and a line of the file (0
// for the file as a whole), so an operator is sent to the right place.
void check_error(const std::string& error, const std::string& path, std::string_view text) {
  const std::string prefix = path + ":";
  if (!error.starts_with(prefix)) std::abort();
  const std::size_t digits_end = error.find(':', prefix.size());
  if (digits_end == std::string::npos || digits_end == prefix.size()) std::abort();
  const std::string digits = error.substr(prefix.size(), digits_end - prefix.size());
  if (!std::ranges::all_of(digits, [](char c) { return c >= '0' && c <= '9'; })) std::abort();
  if (digits.size() > 9) std::abort();
  const auto line = static_cast<std::size_t>(std::stoul(digits));
  const auto lines = static_cast<std::size_t>(std::ranges::count(text, '\n')) + 1;
  if (line > lines) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const bool daemon_settings = (data[0] & 1) != 0;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  const std::string& path = file_with(data + 1, size - 1);
  if (daemon_settings) {
    auto settings = config::load_daemon_settings(path);
    if (!settings) {
      check_error(settings.error(), path, text);
    } else if (settings->max_tunnels == 0) {
      std::abort();  // a daemon that may hold no tunnel at all is refused
    }
    return 0;
  }
  config::Defaults defaults;
  auto loaded = config::load_tunnel_file(path, defaults);
  if (!loaded) {
    check_error(loaded.error(), path, text);
  } else if (loaded->fingerprint.size() != 64) {
    std::abort();  // SHA-256 in hex
  }
  return 0;
}
