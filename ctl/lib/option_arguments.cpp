#include "lib/option_arguments.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "config/option_text.h"
#include "core/secret.h"
#include "lib/translation.h"

namespace l2tp::ctl {

namespace {

constexpr std::size_t kMaxFileBytes = 1 << 20;

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// Unknown keys are shown as config::shown_in_error shows them: no control
// characters reach the terminal.
ArgumentError unknown_key(std::string_view key) {
  return {config::shown_in_error(key), _("unknown option (see l2tpctl(1) or --help for the keys)")};
}

}  // namespace

std::optional<std::string_view> canonical_key(config::ObjectKind kind, std::string_view key) {
  for (std::string_view known : config::option_keys(kind)) {
    if (equal_ignoring_case(known, key)) return known;
  }
  return std::nullopt;
}

std::expected<config::OptionMap, ArgumentError> parse_option_arguments(
    config::ObjectKind kind, const std::vector<std::string>& arguments,
    const FileReader& read_file) {
  config::OptionMap options;
  for (const std::string& argument : arguments) {
    const std::size_t equals = argument.find('=');
    if (equals == std::string::npos || equals == 0) {
      return std::unexpected(ArgumentError{config::shown_in_error(argument.substr(0, equals)),
                                           _("expected KEY=VALUE")});
    }
    const std::string_view given_key = std::string_view(argument).substr(0, equals);
    const std::string_view text = std::string_view(argument).substr(equals + 1);
    const std::optional<std::string_view> key = canonical_key(kind, given_key);
    if (!key) return std::unexpected(unknown_key(given_key));
    const std::string name(*key);
    if (options.contains(name)) return std::unexpected(ArgumentError{name, _("given twice")});
    const config::OptionType type = *config::option_type(kind, *key);

    if (type == config::OptionType::kBytes && text.starts_with('@')) {
      auto bytes = read_file(std::string(text.substr(1)));
      if (!bytes) return std::unexpected(ArgumentError{name, bytes.error()});
      options.emplace(name, std::move(*bytes));
      continue;
    }
    if (type == config::OptionType::kBytes && text.starts_with("hex:")) {
      auto bytes = config::parse_hex(text.substr(4));
      if (!bytes) {
        return std::unexpected(
            ArgumentError{name, _("expected hex: and an even number of hex digits")});
      }
      options.emplace(name, std::move(*bytes));
      continue;
    }
    auto value = config::option_from_text(*key, type, text);
    if (!value) return std::unexpected(ArgumentError{name, value.error()});
    options.emplace(name, std::move(*value));
  }
  return options;
}

std::expected<std::vector<std::uint8_t>, std::string> read_argument_file(const std::string& path) {
  const bool standard_input = path == "-";
  const int fd = standard_input ? STDIN_FILENO : open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return std::unexpected(std::string(_("cannot read the file: ")) + std::strerror(errno));
  std::vector<std::uint8_t> bytes;
  std::uint8_t buffer[4096];
  while (true) {
    const ssize_t count = read(fd, buffer, sizeof buffer);
    if (count < 0 && errno == EINTR) continue;
    if (count < 0) {
      const int error = errno;
      if (!standard_input) close(fd);
      return std::unexpected(std::string(_("cannot read the file: ")) + std::strerror(error));
    }
    if (count == 0) break;
    bytes.insert(bytes.end(), buffer, buffer + count);
    if (bytes.size() > kMaxFileBytes) {
      if (!standard_input) close(fd);
      return std::unexpected(std::string(_("the file is larger than 1 MiB")));
    }
  }
  if (!standard_input) close(fd);
  wipe(buffer, sizeof buffer);
  // A secret typed or written with echo ends with a newline that is not
  // part of it; binary (DER) data, which holds NUL bytes, is left whole.
  const bool text = std::ranges::find(bytes, std::uint8_t{0}) == bytes.end();
  if (text && !bytes.empty() && bytes.back() == '\n') bytes.pop_back();
  return bytes;
}

}  // namespace l2tp::ctl
