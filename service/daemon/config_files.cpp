// Tunnels and listeners from /etc/l2tpbus/*.tunnel: loaded at start, on
// SIGHUP and Manager.Reload, one file at a time, so a broken or changed file
// touches only its own objects; brought up and put down one at a time
// (Manager.Up, Manager.Down). Each file is known by its NAME, the file name
// without .tunnel, and shown with its state in Manager.ConfigFiles.
#include <glib.h>

#include <algorithm>
#include <utility>

#include "daemon/daemon_impl.h"
#include "daemon/log.h"

namespace l2tp::daemon {

namespace {

// A changed file keeps its TunnelId; the old tunnel must leave the engine
// (StopCCN acknowledged, its id released) before the new one can take it.
constexpr int kCreateAttempts = 60;
constexpr Duration kRetryInterval{1000};

}  // namespace

const char* to_string(ConfigFileState state) {
  switch (state) {
    case ConfigFileState::kUp:
      return "up";
    case ConfigFileState::kDown:
      return "down";
    case ConfigFileState::kFailed:
      return "failed";
  }
  return "failed";
}

// ---- Reload ----------------------------------------------------------------------

void DaemonImpl::load_config() {
  // Retries that already ran (never pruned from inside their own callback).
  std::erase_if(retries_, [](const std::unique_ptr<Alarm>& alarm) { return !alarm->armed(); });
  const config::Defaults file_defaults = defaults();
  std::set<std::string> seen;
  for (const std::string& path : config::list_tunnel_files(options_.config_directory)) {
    const std::string name = config::tunnel_file_name(path);
    seen.insert(name);
    auto loaded = config::load_tunnel_file(path, file_defaults);
    ConfigFile& file = files_[name];
    if (!loaded) {
      // The running objects of a file that broke stay as they are: an edit
      // in progress must not tear down a working tunnel.
      l2tp::daemon::log(LogLevel::kError, "config", loaded.error());
      file.load_error = loaded.error();
      continue;
    }
    file.load_error.reset();
    const bool applied = !file.fingerprint.empty();
    if (applied && file.fingerprint == loaded->fingerprint) continue;
    if (file.held_down) {
      // Noticed, not applied: Up reads the file again anyway.
      l2tp::daemon::log(LogLevel::kInfo, "config", path, " changed; it stays down until Up");
      continue;
    }
    if (applied) {
      l2tp::daemon::log(LogLevel::kInfo, "config", path, " changed: replacing its objects");
      retire_file(name, file);
    } else {
      l2tp::daemon::log(LogLevel::kInfo, "config", "loading ", path);
    }
    apply_file(name, file, *loaded);
  }
  for (auto it = files_.begin(); it != files_.end();) {
    if (seen.contains(it->first)) {
      ++it;
      continue;
    }
    l2tp::daemon::log(LogLevel::kInfo, "config",
                      config::tunnel_file_path(options_.config_directory, it->first),
                      " removed: closing its objects");
    retire_file(it->first, it->second);
    config_objects_failed(it->second, no_such_file(it->first));
    it = files_.erase(it);
  }
  publish_config_files();
}

// ---- Up and Down ----------------------------------------------------------------

Failure DaemonImpl::no_such_file(const std::string& name) const {
  return {FailureKind::kNotFound,
          "no config file " + name + ".tunnel in " + options_.config_directory};
}

void DaemonImpl::bring_up(const std::string& name,
                          std::function<void(Result<ConfigFileObjects>)> done) {
  const std::string path = config::tunnel_file_path(options_.config_directory, name);
  if (!g_file_test(path.c_str(), G_FILE_TEST_IS_REGULAR)) {
    done(std::unexpected(no_such_file(name)));
    return;
  }
  auto loaded = config::load_tunnel_file(path, defaults());
  ConfigFile& file = files_[name];
  if (!loaded) {
    l2tp::daemon::log(LogLevel::kError, "config", loaded.error());
    file.load_error = loaded.error();
    publish_config_files();
    done(std::unexpected(Failure{FailureKind::kFailed, loaded.error()}));
    return;
  }
  file.load_error.reset();
  file.held_down = false;
  const bool unchanged = file.fingerprint == loaded->fingerprint;
  if (unchanged && (file.tunnel_id != 0 || file.listener_id != 0)) {
    config_objects_ready(file);
    publish_config_files();
    done(ConfigFileObjects{
        .tunnels = file.tunnel_id != 0 ? std::vector{file.tunnel_id} : std::vector<std::uint32_t>{},
        .listeners =
            file.listener_id != 0 ? std::vector{file.listener_id} : std::vector<std::uint32_t>{}});
    return;
  }
  file.waiting_up.push_back(std::move(done));
  if (unchanged && file.creating) {
    publish_config_files();  // it was down; it is coming up
    return;
  }
  if (file.tunnel_id != 0 || file.listener_id != 0 || file.creating) {
    l2tp::daemon::log(LogLevel::kInfo, "config", path, " changed: replacing its objects");
    retire_file(name, file);
  } else {
    l2tp::daemon::log(LogLevel::kInfo, "config", "bringing up ", path);
  }
  apply_file(name, file, *loaded);
  publish_config_files();
}

Result<void> DaemonImpl::put_down(const std::string& name) {
  auto known = files_.find(name);
  if (known == files_.end()) return std::unexpected(no_such_file(name));
  ConfigFile& file = known->second;
  l2tp::daemon::log(LogLevel::kInfo, "config",
                    config::tunnel_file_path(options_.config_directory, name),
                    " put down: closing its objects");
  file.held_down = true;
  retire_file(name, file);
  file.state = ConfigFileState::kDown;
  file.message.clear();
  config_objects_failed(file, Failure{FailureKind::kFailed, name + " was put down meanwhile"});
  publish_config_files();
  return {};
}

// ---- Objects of files ------------------------------------------------------------

void DaemonImpl::apply_file(const std::string& name, ConfigFile& file,
                            const config::LoadedFile& loaded) {
  file.fingerprint = loaded.fingerprint;
  file.generation = next_generation_++;
  file.state = ConfigFileState::kUp;
  file.message.clear();
  if (const auto* listener = std::get_if<config::ListenerFile>(&loaded.content)) {
    auto created = open_listener(listener->listener, name);
    if (!created) {
      l2tp::daemon::log(LogLevel::kError, "config", loaded.path, ": ", created.error().message);
      config_objects_failed(file, created.error());
      return;
    }
    file.listener_id = *created;
    config_objects_ready(file);
    return;
  }
  file.creating = true;
  create_config_tunnel(name, std::get<config::TunnelFile>(loaded.content), file.generation,
                       kCreateAttempts);
}

void DaemonImpl::create_config_tunnel(const std::string& name, const config::TunnelFile& tunnel,
                                      std::uint64_t generation, int attempts_left) {
  create_tunnel_for(
      tunnel.tunnel, {.owner = 0, .config_file = name},
      [this, name, tunnel, generation, attempts_left](const Result<std::uint32_t>& result) {
        auto entry = files_.find(name);
        if (entry == files_.end() || entry->second.generation != generation) {
          // The file changed, went or was put down while the peer's name resolved.
          if (result) close_tunnel(*result);
          return;
        }
        ConfigFile& file = entry->second;
        const std::string path = config::tunnel_file_path(options_.config_directory, name);
        if (!result) {
          if (result.error().kind == FailureKind::kExists && attempts_left > 1) {
            auto alarm = alarms_.create([this, name, tunnel, generation, attempts_left] {
              create_config_tunnel(name, tunnel, generation, attempts_left - 1);
            });
            alarm->arm(kRetryInterval);
            retries_.push_back(std::move(alarm));
            return;
          }
          l2tp::daemon::log(LogLevel::kError, "config", path, ": ", result.error().message);
          file.creating = false;
          config_objects_failed(file, result.error());
          publish_config_files();
          return;
        }
        file.creating = false;
        file.tunnel_id = *result;
        for (const fsm::SessionConfig& session : tunnel.sessions) {
          auto created = create_session(*result, session, 0);
          if (!created)
            l2tp::daemon::log(LogLevel::kError, "config", path,
                              ": session: ", created.error().message);
        }
        config_objects_ready(file);
        publish_config_files();
      });
}

void DaemonImpl::config_objects_ready(ConfigFile& file) {
  file.state = ConfigFileState::kUp;
  file.message.clear();
  const ConfigFileObjects objects{
      .tunnels = file.tunnel_id != 0 ? std::vector{file.tunnel_id} : std::vector<std::uint32_t>{},
      .listeners =
          file.listener_id != 0 ? std::vector{file.listener_id} : std::vector<std::uint32_t>{}};
  for (auto& done : std::exchange(file.waiting_up, {})) done(objects);
}

void DaemonImpl::config_objects_failed(ConfigFile& file, const Failure& failure) {
  if (file.state == ConfigFileState::kUp) {
    file.state = ConfigFileState::kFailed;
    file.message = failure.message;
  }
  for (auto& done : std::exchange(file.waiting_up, {})) done(std::unexpected(failure));
}

void DaemonImpl::retire_file(const std::string& name, ConfigFile& file) {
  file.generation = next_generation_++;
  file.creating = false;
  const std::string path = config::tunnel_file_path(options_.config_directory, name);
  // Forgotten before they are closed, so that their ending is not taken for
  // one the file did not ask for.
  if (const std::uint32_t tunnel_id = std::exchange(file.tunnel_id, 0); tunnel_id != 0) {
    if (auto closed = close_tunnel(tunnel_id);
        !closed && closed.error().kind != FailureKind::kNotFound)
      l2tp::daemon::log(LogLevel::kWarning, "config", path, ": ", closed.error().message);
  }
  if (const std::uint32_t listener_id = std::exchange(file.listener_id, 0); listener_id != 0)
    close_listener(listener_id);
}

void DaemonImpl::config_object_ended(const std::string& name, std::uint32_t tunnel_id,
                                     std::uint32_t listener_id, const std::string& why) {
  if (shutting_down_ || name.empty()) return;
  const auto known = files_.find(name);
  if (known == files_.end()) return;
  ConfigFile& file = known->second;
  // Not its object any more (replaced, or put down): nothing ended for the file.
  if ((tunnel_id == 0 || file.tunnel_id != tunnel_id) &&
      (listener_id == 0 || file.listener_id != listener_id))
    return;
  file.tunnel_id = 0;
  file.listener_id = 0;
  file.state = ConfigFileState::kDown;
  file.message = why;
  l2tp::daemon::log(LogLevel::kNotice, "config",
                    config::tunnel_file_path(options_.config_directory, name), " is down: ", why,
                    " (Manager.Up brings it back)");
  publish_config_files();
}

// ---- ConfigFiles -----------------------------------------------------------------

ConfigFileStatus DaemonImpl::status_of(const std::string& name, const ConfigFile& file) const {
  if (file.load_error) return {name, ConfigFileState::kFailed, *file.load_error};
  if (file.held_down) return {name, ConfigFileState::kDown, ""};
  return {name, file.state, file.message};
}

std::vector<ConfigFileStatus> DaemonImpl::config_files() const {
  std::vector<ConfigFileStatus> statuses;
  statuses.reserve(files_.size());
  for (const auto& [name, file] : files_) statuses.push_back(status_of(name, file));
  return statuses;
}

void DaemonImpl::publish_config_files() {
  std::vector<ConfigFileStatus> now = config_files();
  if (now == published_files_) return;
  published_files_ = std::move(now);
  observer_.config_files_changed(published_files_);
}

}  // namespace l2tp::daemon
