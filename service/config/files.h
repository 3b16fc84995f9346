// Config files: /etc/l2tpbus/l2tpbusd.conf (daemon settings) and
// /etc/l2tpbus/*.tunnel (tunnels, their sessions, and listeners), parsed with
// GLib's GKeyFile. Sections use exactly the D-Bus option names.
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "config/options.h"
#include "core/log.h"

namespace l2tp::config {

struct DaemonSettings {
  std::uint32_t max_tunnels_per_user = 16;  // non-root uids
  std::uint32_t max_tunnels = 16384;
  // Of max_tunnels, what peers at listeners cannot take; unset: a tenth.
  std::optional<std::uint32_t> reserved_local_tunnels;
  std::uint32_t max_sessions = 1024;
  std::uint32_t max_sessions_per_user = 16;  // non-root uids, their tunnels' peers' calls included
  // Handshakes peers may have in flight at listeners, in all and from one
  // source address (fsm::EngineLimits::max_half_open).
  std::uint32_t max_half_open = 1024;
  std::uint32_t max_half_open_per_peer = 64;
  std::string host_name;  // empty: the system host name
  LogLevel log_level = LogLevel::kInfo;
};

// A .tunnel file holds either one [Tunnel] with its [Session] / [Session NAME]
// sections, or one [Listener].
struct TunnelFile {
  TunnelRequest tunnel;
  std::vector<fsm::SessionConfig> sessions;
};
struct ListenerFile {
  fsm::ListenerConfig listener;
};
struct LoadedFile {
  std::string path;
  std::string fingerprint;  // changes whenever the meaning of the file may have changed
  std::variant<TunnelFile, ListenerFile> content;
};

// ReservedLocalTunnels as set, or its default: a tenth of MaxTunnels.
std::uint32_t reserved_local_tunnels(const DaemonSettings& settings);

// Errors read "PATH:LINE: Key: message" (LINE 0 when the file as a whole is wrong).
std::expected<DaemonSettings, std::string> load_daemon_settings(const std::string& path);
std::expected<LoadedFile, std::string> load_tunnel_file(const std::string& path,
                                                        const Defaults& defaults);
// The *.tunnel files of a directory, sorted by name.
std::vector<std::string> list_tunnel_files(const std::string& directory);

// A file's NAME, by which Manager.Up and Down and ConfigFiles know it: its
// file name without ".tunnel" ("office" for /etc/l2tpbus/office.tunnel).
std::string tunnel_file_name(std::string_view path);
std::string tunnel_file_path(const std::string& directory, std::string_view name);
// A NAME a caller may give: 1..64 characters of [A-Za-z0-9_.@-], not
// starting with '.' (so never a path, a dot file, nor "." or ".."). Refused
// with an OptionError for the key "name".
std::expected<void, OptionError> check_tunnel_file_name(std::string_view name);

}  // namespace l2tp::config
