// Config files through GKeyFile. The text is checked (size, UTF-8, control
// characters) and its layout scanned for line numbers before GKeyFile parses
// it; values are then converted by the key's D-Bus type and handed to the
// same validators D-Bus calls use.
//
// Value text, taken verbatim after "=" (GKeyFile drops the blanks before it
// and applies its escapes \s \t \n \r \\):
//   u   decimal digits only: no sign, no hex, no blanks, at most 4294967295
//   b   true, false, yes, no, 1 or 0
//   s   as written; trailing blanks are part of the value
//   as  elements separated by ';' or ',', blanks around them dropped; one
//       trailing separator allowed
//   ay  Secret: the bytes of the text; Cookie, PeerCookie: 8 or 16 hex digits
//
// Files holding a Secret or Password should be mode 0600: the daemon reads
// them as root and does not police their permissions.
#include "config/files.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <memory>
#include <set>

#include "config/key_file_layout.h"
#include "config/option_parsing.h"
#include "config/option_text.h"
#include "config/text_checks.h"
#include "core/ipsec.h"

namespace l2tp::config {

namespace {

using detail::SectionLayout;

constexpr gsize kMaxFileBytes = 1 << 20;  // far beyond any real file; bounds what we hold
constexpr std::uint32_t kMaxTunnelsLimit = 1 << 20;
constexpr std::string_view kTunnelSuffix = ".tunnel";

struct KeyFileFree {
  void operator()(GKeyFile* key_file) const { g_key_file_free(key_file); }
};
using KeyFilePtr = std::unique_ptr<GKeyFile, KeyFileFree>;

struct GFree {
  void operator()(gpointer memory) const { g_free(memory); }
};
using GCharPtr = std::unique_ptr<gchar, GFree>;

struct GErrorFree {
  void operator()(GError* error) const { g_error_free(error); }
};
using GErrorPtr = std::unique_ptr<GError, GErrorFree>;

std::string located(const std::string& path, int line, std::string_view subject,
                    std::string_view message) {
  std::string text = path + ":" + std::to_string(line) + ": ";
  if (!subject.empty()) text.append(subject).append(": ");
  return text.append(message);
}

std::string section_subject(const SectionLayout& section) {
  return "[" + section.name + "]";
}

int line_at(std::string_view text, std::size_t offset) {
  return 1 + static_cast<int>(std::count(text.begin(),
                                         text.begin() + static_cast<std::ptrdiff_t>(offset), '\n'));
}

// The whole file, or nullopt when it does not exist.
std::expected<std::optional<std::string>, std::string> read_file_text(const std::string& path) {
  GStatBuf status{};
  if (g_stat(path.c_str(), &status) != 0) {
    const int error_number = errno;
    if (error_number == ENOENT) return std::nullopt;
    return std::unexpected(located(path, 0, "", g_strerror(error_number)));
  }
  // Refusing devices and FIFOs up front keeps a misplaced /dev/zero from
  // being read forever.
  if (!S_ISREG(status.st_mode)) return std::unexpected(located(path, 0, "", "not a regular file"));
  if (static_cast<gsize>(status.st_size) > kMaxFileBytes) {
    return std::unexpected(located(path, 0, "", "larger than 1 MiB"));
  }
  gchar* raw_contents = nullptr;
  gsize length = 0;
  GError* raw_error = nullptr;
  if (!g_file_get_contents(path.c_str(), &raw_contents, &length, &raw_error)) {
    const GErrorPtr error(raw_error);
    return std::unexpected(located(path, 0, "", error->message));
  }
  const GCharPtr contents(raw_contents);
  if (length > kMaxFileBytes) return std::unexpected(located(path, 0, "", "larger than 1 MiB"));
  return std::string(contents.get(), length);
}

// UTF-8 everywhere and no control characters but tab, newline and the CR of a
// CRLF: what GKeyFile would pass on silently or choke on without a line.
std::optional<std::string> text_problem(const std::string& path, std::string_view text) {
  const gchar* end = nullptr;
  if (!g_utf8_validate(text.data(), static_cast<gssize>(text.size()), &end)) {
    const auto offset = static_cast<std::size_t>(end - text.data());
    return located(path, line_at(text, offset), "", "not valid UTF-8 (or contains a NUL byte)");
  }
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    const bool crlf = byte == '\r' && i + 1 < text.size() && text[i + 1] == '\n';
    if ((byte < 0x20 && byte != '\t' && byte != '\n' && !crlf) || byte == 0x7f) {
      return located(path, line_at(text, i), "", "contains control characters");
    }
  }
  return std::nullopt;
}

struct ParsedText {
  KeyFilePtr key_file;
  std::vector<SectionLayout> sections;
};

std::expected<ParsedText, std::string> parse_text(const std::string& path, std::string_view text) {
  if (auto problem = text_problem(path, text)) return std::unexpected(*problem);
  auto layout = detail::scan_key_file_layout(text);
  if (!layout) {
    const detail::LayoutProblem& problem = layout.error();
    return std::unexpected(located(path, problem.line, problem.subject, problem.message));
  }
  ParsedText parsed{KeyFilePtr(g_key_file_new()), std::move(*layout)};
  GError* raw_error = nullptr;
  if (!g_key_file_load_from_data(parsed.key_file.get(), text.data(), text.size(), G_KEY_FILE_NONE,
                                 &raw_error)) {
    const GErrorPtr error(raw_error);
    return std::unexpected(located(path, 0, "", error->message));
  }
  // The scan and GKeyFile must see the same sections and keys, or a line
  // number could point at the wrong place.
  gsize group_count = 0;
  g_strfreev(g_key_file_get_groups(parsed.key_file.get(), &group_count));
  if (group_count != parsed.sections.size()) {
    return std::unexpected(located(path, 0, "", "GKeyFile and the line scan disagree on sections"));
  }
  for (const SectionLayout& section : parsed.sections) {
    gsize key_count = 0;
    gchar** keys =
        g_key_file_get_keys(parsed.key_file.get(), section.name.c_str(), &key_count, nullptr);
    bool agree = keys != nullptr;
    for (gsize i = 0; agree && i < key_count; ++i) agree = section.has(keys[i]);
    g_strfreev(keys);
    if (!agree) {
      return std::unexpected(located(path, section.line, section_subject(section),
                                     "GKeyFile and the line scan disagree on keys"));
    }
  }
  return parsed;
}

std::expected<std::string, std::string> read_value_text(const ParsedText& parsed,
                                                        const std::string& path,
                                                        const SectionLayout& section,
                                                        const detail::KeyLine& entry) {
  GError* raw_error = nullptr;
  const GCharPtr value(g_key_file_get_string(parsed.key_file.get(), section.name.c_str(),
                                             entry.key.c_str(), &raw_error));
  if (!value) {
    // GLib's message quotes the value, which may be a secret.
    const GErrorPtr error(raw_error);
    return std::unexpected(located(path, entry.line, entry.key, "GKeyFile cannot read the value"));
  }
  return std::string(value.get());
}

// Certificates and keys are PEM or DER files that a key file names: their
// contents do not fit a GKeyFile value. Files are root's, like the key file.
std::expected<OptionValue, std::string> read_credential_file(const std::string& path) {
  constexpr gsize kMaxCredentialBytes = 65535;
  if (path.empty() || path.front() != '/') return std::unexpected("expected an absolute path");
  gchar* contents = nullptr;
  gsize size = 0;
  GError* error = nullptr;
  if (!g_file_get_contents(path.c_str(), &contents, &size, &error)) {
    std::string message = "cannot read " + shown_in_error(path) + ": " + error->message;
    g_error_free(error);
    return std::unexpected(message);
  }
  std::vector<std::uint8_t> data;
  if (size <= kMaxCredentialBytes) data.assign(contents, contents + size);
  // A private key must not linger in freed memory.
  wipe(contents, size);
  g_free(contents);
  if (size == 0 || size > kMaxCredentialBytes) {
    return std::unexpected(shown_in_error(path) + " must hold 1..65535 bytes");
  }
  return data;
}

std::expected<OptionValue, std::string> convert_value(std::string_view key, OptionType type,
                                                      const std::string& text) {
  if (key == "IpsecCertificate" || key == "IpsecPrivateKey" || key == "IpsecCa") {
    return read_credential_file(text);
  }
  return option_from_text(key, type, text);
}

std::expected<OptionMap, std::string> read_options(const ParsedText& parsed,
                                                   const std::string& path,
                                                   const SectionLayout& section, ObjectKind kind) {
  OptionMap options;
  for (const detail::KeyLine& entry : section.keys) {
    const std::optional<OptionType> type = option_type(kind, entry.key);
    if (!type) return std::unexpected(located(path, entry.line, entry.key, "unknown option"));
    auto text = read_value_text(parsed, path, section, entry);
    if (!text) return std::unexpected(text.error());
    auto value = convert_value(entry.key, *type, *text);
    if (!value) return std::unexpected(located(path, entry.line, entry.key, value.error()));
    options.emplace(entry.key, std::move(*value));
  }
  return options;
}

std::string option_failure(const std::string& path, const SectionLayout& section,
                           const OptionError& error) {
  return located(path, section.line_of(error.key), error.key, error.message);
}

enum class SectionKind : std::uint8_t { kTunnel, kSession, kListener, kUnknown };

SectionKind classify(std::string_view name) {
  if (name == "Tunnel") return SectionKind::kTunnel;
  if (name == "Listener") return SectionKind::kListener;
  if (name == "Session") return SectionKind::kSession;
  constexpr std::string_view kNamedSession = "Session ";
  if (name.starts_with(kNamedSession)) {
    const std::string_view label = name.substr(kNamedSession.size());
    const bool blank = std::ranges::all_of(label, [](char c) { return c == ' ' || c == '\t'; });
    if (!blank) return SectionKind::kSession;
  }
  return SectionKind::kUnknown;
}

std::string fingerprint(std::string_view text, const Defaults& defaults) {
  // The daemon's host name is the default of every HostName: when it changes,
  // so may the meaning of a file that does not name one.
  GChecksum* checksum = g_checksum_new(G_CHECKSUM_SHA256);
  g_checksum_update(checksum, reinterpret_cast<const guchar*>(text.data()),
                    static_cast<gssize>(text.size()));
  const guchar separator = 0;
  g_checksum_update(checksum, &separator, 1);
  g_checksum_update(checksum, reinterpret_cast<const guchar*>(defaults.host_name.data()),
                    static_cast<gssize>(defaults.host_name.size()));
  std::string digest = g_checksum_get_string(checksum);
  g_checksum_free(checksum);
  return digest;
}

// Two sessions of one file cannot share a local id or an interface name; the
// engine would refuse the second only once the first is up.
std::optional<std::string> session_clash(const std::string& path,
                                         const std::vector<const SectionLayout*>& layouts,
                                         const std::vector<fsm::SessionConfig>& sessions) {
  std::set<std::uint32_t> ids;
  std::set<std::string> names;
  for (std::size_t i = 0; i < sessions.size(); ++i) {
    const fsm::SessionConfig& session = sessions[i];
    if (session.session_id != 0 && !ids.insert(session.session_id).second) {
      return located(path, layouts[i]->line_of("SessionId"), "SessionId",
                     "used by another session of this file");
    }
    if (!session.interface_name.empty() && !names.insert(session.interface_name).second) {
      return located(path, layouts[i]->line_of("InterfaceName"), "InterfaceName",
                     "used by another session of this file");
    }
  }
  return std::nullopt;
}

std::expected<std::variant<TunnelFile, ListenerFile>, std::string> read_tunnel_content(
    const std::string& path, const ParsedText& parsed, const Defaults& defaults) {
  if (parsed.sections.empty()) {
    return std::unexpected(located(path, 0, "", "no [Tunnel] or [Listener] section"));
  }
  const SectionLayout* tunnel = nullptr;
  const SectionLayout* listener = nullptr;
  std::vector<const SectionLayout*> sessions;
  for (const SectionLayout& section : parsed.sections) {
    const SectionKind kind = classify(section.name);
    if (kind == SectionKind::kUnknown) {
      return std::unexpected(
          located(path, section.line, section_subject(section),
                  "unknown section (expected [Tunnel], [Session], [Session NAME] or [Listener])"));
    }
    const bool is_listener = kind == SectionKind::kListener;
    if ((is_listener && (tunnel != nullptr || !sessions.empty())) ||
        (!is_listener && listener != nullptr)) {
      return std::unexpected(located(path, section.line, section_subject(section),
                                     "a file holds either [Tunnel] with its sessions or one "
                                     "[Listener], not both"));
    }
    if (kind == SectionKind::kTunnel) tunnel = &section;
    if (kind == SectionKind::kSession) sessions.push_back(&section);
    if (is_listener) listener = &section;
  }

  if (listener != nullptr) {
    auto options = read_options(parsed, path, *listener, ObjectKind::kListener);
    if (!options) return std::unexpected(options.error());
    auto config = parse_listener_options(*options, defaults);
    if (!config) return std::unexpected(option_failure(path, *listener, config.error()));
    return ListenerFile{std::move(*config)};
  }
  if (tunnel == nullptr) {
    return std::unexpected(located(path, sessions.front()->line, section_subject(*sessions.front()),
                                   "needs a [Tunnel] section in the same file"));
  }
  auto tunnel_options = read_options(parsed, path, *tunnel, ObjectKind::kTunnel);
  if (!tunnel_options) return std::unexpected(tunnel_options.error());
  auto request = parse_tunnel_options(*tunnel_options, defaults);
  if (!request) return std::unexpected(option_failure(path, *tunnel, request.error()));

  TunnelFile file{std::move(*request), {}};
  for (const SectionLayout* session : sessions) {
    auto options = read_options(parsed, path, *session, ObjectKind::kSession);
    if (!options) return std::unexpected(options.error());
    auto config =
        parse_session_options(*options, file.tunnel.config.version, file.tunnel.config.mode);
    if (!config) return std::unexpected(option_failure(path, *session, config.error()));
    file.sessions.push_back(std::move(*config));
  }
  if (auto clash = session_clash(path, sessions, file.sessions)) return std::unexpected(*clash);
  return file;
}

constexpr std::array<detail::Choice<LogLevel>, 5> kLogLevels{{
    {"error", LogLevel::kError},
    {"warning", LogLevel::kWarning},
    {"notice", LogLevel::kNotice},
    {"info", LogLevel::kInfo},
    {"debug", LogLevel::kDebug},
}};

std::expected<std::uint32_t, std::string> read_limit(std::string_view text, std::uint32_t min) {
  const std::optional<std::uint32_t> number = detail::parse_decimal_u32(text);
  if (!number) return std::unexpected("expected a decimal number 0..4294967295");
  if (*number < min || *number > kMaxTunnelsLimit) {
    return std::unexpected("expected " + std::to_string(min) + ".." +
                           std::to_string(kMaxTunnelsLimit));
  }
  return *number;
}

std::expected<void, std::string> apply_daemon_key(DaemonSettings& settings, std::string_view key,
                                                  const std::string& text) {
  // 0 per user leaves tunnels (sessions) to root; 0 overall would leave the
  // daemon idle; 0 reserved lets peers fill every tunnel.
  const std::array<std::pair<std::string_view, std::uint32_t*>, 6> limits{{
      {"MaxTunnelsPerUser", &settings.max_tunnels_per_user},
      {"MaxTunnels", &settings.max_tunnels},
      {"MaxSessions", &settings.max_sessions},
      {"MaxSessionsPerUser", &settings.max_sessions_per_user},
      {"MaxHalfOpen", &settings.max_half_open},
      {"MaxHalfOpenPerPeer", &settings.max_half_open_per_peer},
  }};
  for (const auto& [name, field] : limits) {
    if (key != name) continue;
    const bool may_be_zero = name.ends_with("PerUser");
    auto limit = read_limit(text, may_be_zero ? 0 : 1);
    if (!limit) return std::unexpected(limit.error());
    *field = *limit;
    return {};
  }
  if (key == "ReservedLocalTunnels") {
    auto limit = read_limit(text, 0);
    if (!limit) return std::unexpected(limit.error());
    settings.reserved_local_tunnels = *limit;
    return {};
  }
  if (key == "HostName") {
    if (auto problem = detail::host_name_avp_problem(text)) return std::unexpected(*problem);
    settings.host_name = text;
    return {};
  }
  if (key == "LogLevel") {
    auto level = detail::find_choice(kLogLevels, text);
    if (!level) return std::unexpected(detail::expected_choice(kLogLevels));
    settings.log_level = *level;
    return {};
  }
  return std::unexpected("unknown option");
}

}  // namespace

std::uint32_t reserved_local_tunnels(const DaemonSettings& settings) {
  return settings.reserved_local_tunnels.value_or(settings.max_tunnels / 10);
}

std::expected<DaemonSettings, std::string> load_daemon_settings(const std::string& path) {
  auto text = read_file_text(path);
  if (!text) return std::unexpected(text.error());
  DaemonSettings settings;
  if (!*text) return settings;
  auto parsed = parse_text(path, **text);
  if (!parsed) return std::unexpected(parsed.error());
  int reserved_line = 0;
  int half_open_per_peer_line = 0;
  for (const SectionLayout& section : parsed->sections) {
    if (section.name != "Daemon") {
      return std::unexpected(located(path, section.line, section_subject(section),
                                     "unknown section (expected [Daemon])"));
    }
    for (const detail::KeyLine& entry : section.keys) {
      auto value = read_value_text(*parsed, path, section, entry);
      if (!value) return std::unexpected(value.error());
      if (auto applied = apply_daemon_key(settings, entry.key, *value); !applied) {
        return std::unexpected(located(path, entry.line, entry.key, applied.error()));
      }
      if (entry.key == "ReservedLocalTunnels") reserved_line = entry.line;
      if (entry.key == "MaxHalfOpenPerPeer") half_open_per_peer_line = entry.line;
    }
  }
  if (settings.max_half_open_per_peer > settings.max_half_open) {
    return std::unexpected(
        located(path, half_open_per_peer_line, "MaxHalfOpenPerPeer",
                "must not exceed MaxHalfOpen (" + std::to_string(settings.max_half_open) + ")"));
  }
  if (settings.reserved_local_tunnels && *settings.reserved_local_tunnels >= settings.max_tunnels) {
    // Peers would get nothing at all: surely not what was meant.
    return std::unexpected(
        located(path, reserved_line, "ReservedLocalTunnels",
                "must be below MaxTunnels (" + std::to_string(settings.max_tunnels) + ")"));
  }
  return settings;
}

std::expected<LoadedFile, std::string> load_tunnel_file(const std::string& path,
                                                        const Defaults& defaults) {
  auto text = read_file_text(path);
  if (!text) return std::unexpected(text.error());
  if (!*text) return std::unexpected(located(path, 0, "", g_strerror(ENOENT)));
  auto parsed = parse_text(path, **text);
  if (!parsed) return std::unexpected(parsed.error());
  auto content = read_tunnel_content(path, *parsed, defaults);
  if (!content) return std::unexpected(content.error());
  return LoadedFile{path, fingerprint(**text, defaults), std::move(*content)};
}

std::string tunnel_file_name(std::string_view path) {
  const std::size_t slash = path.rfind('/');
  std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
  if (name.ends_with(kTunnelSuffix)) name.remove_suffix(kTunnelSuffix.size());
  return std::string(name);
}

std::string tunnel_file_path(const std::string& directory, std::string_view name) {
  return directory + "/" + std::string(name) + std::string(kTunnelSuffix);
}

std::expected<void, OptionError> check_tunnel_file_name(std::string_view name) {
  constexpr std::size_t kMaxNameLength = 64;
  const auto allowed = [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '@' || c == '-';
  };
  if (name.empty() || name.size() > kMaxNameLength || name.front() == '.' ||
      !std::ranges::all_of(name, allowed)) {
    return std::unexpected(OptionError{
        "name", shown_in_error(name) +
                    " is not a config file name: 1 to 64 characters of A-Z, a-z, 0-9, '_', '.', "
                    "'@' and '-', not starting with '.' (the file name without .tunnel)"});
  }
  return {};
}

std::vector<std::string> list_tunnel_files(const std::string& directory) {
  std::vector<std::string> paths;
  GDir* dir = g_dir_open(directory.c_str(), 0, nullptr);
  if (dir == nullptr) return paths;
  while (const gchar* entry = g_dir_read_name(dir)) {
    const std::string_view name(entry);
    // Dot files are what editors and package managers leave behind.
    if (name.starts_with('.') || !name.ends_with(kTunnelSuffix)) continue;
    std::string path = directory + "/" + std::string(name);
    if (g_file_test(path.c_str(), G_FILE_TEST_IS_REGULAR)) paths.push_back(std::move(path));
  }
  g_dir_close(dir);
  std::ranges::sort(paths);
  return paths;
}

}  // namespace l2tp::config
