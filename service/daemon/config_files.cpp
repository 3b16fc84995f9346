// Tunnels and listeners from /etc/l2tpbus/*.tunnel: loaded at start and on
// SIGHUP, one file at a time, so a broken or changed file touches only its
// own objects.
#include "daemon/daemon_impl.h"
#include "daemon/log.h"

namespace l2tp::daemon {

namespace {

// A changed file keeps its TunnelId; the old tunnel must leave the engine
// (StopCCN acknowledged, its id released) before the new one can take it.
constexpr int kCreateAttempts = 60;
constexpr Duration kRetryInterval{1000};

}  // namespace

void DaemonImpl::load_config() {
  // Retries that already ran (never pruned from inside their own callback).
  std::erase_if(retries_, [](const std::unique_ptr<Alarm>& alarm) { return !alarm->armed(); });
  const config::Defaults file_defaults = defaults();
  std::set<std::string> seen;
  for (const std::string& path : config::list_tunnel_files(options_.config_directory)) {
    seen.insert(path);
    auto loaded = config::load_tunnel_file(path, file_defaults);
    if (!loaded) {
      // The running objects of a file that broke stay as they are: an edit
      // in progress must not tear down a working tunnel.
      l2tp::daemon::log(LogLevel::kError, "config", loaded.error());
      continue;
    }
    auto known = files_.find(path);
    if (known != files_.end()) {
      if (known->second.fingerprint == loaded->fingerprint) continue;
      l2tp::daemon::log(LogLevel::kInfo, "config", path, " changed: replacing its objects");
      FileObjects old = known->second;
      files_.erase(known);
      retire_file(path, old);
    } else {
      l2tp::daemon::log(LogLevel::kInfo, "config", "loading ", path);
    }
    apply_file(*loaded);
  }
  for (auto it = files_.begin(); it != files_.end();) {
    if (seen.contains(it->first)) {
      ++it;
      continue;
    }
    l2tp::daemon::log(LogLevel::kInfo, "config", it->first, " removed: closing its objects");
    FileObjects old = it->second;
    std::string path = it->first;
    it = files_.erase(it);
    retire_file(path, old);
  }
}

void DaemonImpl::apply_file(const config::LoadedFile& file) {
  files_[file.path].fingerprint = file.fingerprint;
  if (const auto* listener = std::get_if<config::ListenerFile>(&file.content)) {
    auto created = listen(listener->listener);
    if (!created) {
      l2tp::daemon::log(LogLevel::kError, "config", file.path, ": ", created.error().message);
      return;
    }
    files_[file.path].listeners.push_back(*created);
    return;
  }
  create_config_tunnel(file.path, std::get<config::TunnelFile>(file.content), kCreateAttempts);
}

void DaemonImpl::create_config_tunnel(const std::string& path, const config::TunnelFile& file,
                                      int attempts_left) {
  const std::string fingerprint = files_[path].fingerprint;
  create_tunnel(file.tunnel, 0, [this, path, file, fingerprint, attempts_left](auto result) {
    auto entry = files_.find(path);
    if (entry == files_.end() || entry->second.fingerprint != fingerprint) {
      // The file changed or went while the peer's name resolved.
      if (result) close_tunnel(*result);
      return;
    }
    if (!result) {
      if (result.error().kind == FailureKind::kExists && attempts_left > 1) {
        auto alarm = alarms_.create([this, path, file, attempts_left] {
          create_config_tunnel(path, file, attempts_left - 1);
        });
        alarm->arm(kRetryInterval);
        retries_.push_back(std::move(alarm));
        return;
      }
      l2tp::daemon::log(LogLevel::kError, "config", path, ": ", result.error().message);
      return;
    }
    entry->second.tunnels.push_back(*result);
    for (const fsm::SessionConfig& session : file.sessions) {
      auto created = create_session(*result, session, 0);
      if (!created)
        l2tp::daemon::log(LogLevel::kError, "config", path, ": session: ", created.error().message);
    }
  });
}

void DaemonImpl::retire_file(const std::string& path, const FileObjects& objects) {
  for (std::uint32_t tunnel_id : objects.tunnels) {
    if (auto closed = close_tunnel(tunnel_id);
        !closed && closed.error().kind != FailureKind::kNotFound)
      l2tp::daemon::log(LogLevel::kWarning, "config", path, ": ", closed.error().message);
  }
  for (std::uint32_t listener_id : objects.listeners) close_listener(listener_id);
}

}  // namespace l2tp::daemon
