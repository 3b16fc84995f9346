#include "ipsec/charon_ipsec.h"

#include <algorithm>

#include "ipsec/charon_messages.h"

namespace l2tp::ipsec {

namespace {

// How long charon may take over one initiate before it answers; the tunnel's
// own deadline (one control retransmission cycle) usually ends it sooner.
constexpr std::int32_t kInitiateTimeoutMs = 120000;
// control-log lines kept per IKE exchange, for the failure reason.
constexpr std::size_t kMaxLogLines = 32;

}  // namespace

std::unique_ptr<CharonIpsec> CharonIpsec::open(loop::EventLoop& loop, const std::string& vici_path,
                                               IpsecEvents& events, Logger& logger) {
  std::unique_ptr<CharonIpsec> ipsec(new CharonIpsec(loop, vici_path, events, logger));
  if (auto reason = ipsec->unavailable()) {
    ipsec->log(LogLevel::kNotice, "no IPsec for now: " + *reason);
  }
  return ipsec;
}

std::optional<std::string> CharonIpsec::unavailable() {
  if (control_) return std::nullopt;
  auto control = ViciClient::connect(
      loop_, vici_path_,
      [this](const std::string& name, const vici::Section& message) { on_event(name, message); },
      [this](const std::string& reason) { on_disconnect(reason); });
  if (!control) return control.error();
  control_ = std::move(*control);
  log(LogLevel::kInfo, "connected to charon at " + vici_path_);
  for (const char* event : {"child-updown", "ike-updown"}) {
    control_->subscribe(event, [this, event](ViciClient::Response response) {
      if (!response) {
        log(LogLevel::kWarning, std::string("cannot follow ") + event + ": " + response.error());
      }
    });
  }
  // An earlier l2tpbusd may have left connections in this charon.
  remove_leftovers();
  return std::nullopt;
}

CharonIpsec::CharonIpsec(loop::EventLoop& loop, std::string vici_path, IpsecEvents& events,
                         Logger& logger)
    : loop_(loop),
      vici_path_(std::move(vici_path)),
      events_(events),
      logger_(logger),
      deferred_alarm_(loop.create([this] { run_deferred(); })) {}

CharonIpsec::~CharonIpsec() = default;

void CharonIpsec::log(LogLevel level, const std::string& message) {
  logger_.log(level, "ipsec", message);
}

CharonIpsec::Tunnel* CharonIpsec::find(std::uint32_t tunnel_id, std::uint64_t serial) {
  auto it = tunnels_.find(tunnel_id);
  if (it == tunnels_.end() || it->second.serial != serial) return nullptr;
  return &it->second;
}

void CharonIpsec::retire(std::unique_ptr<ViciClient> client) {
  if (!client) return;
  retired_.push_back(std::move(client));
  deferred_alarm_->arm(Duration{0});
}

void CharonIpsec::defer(std::function<void()> callback) {
  deferred_.push_back(std::move(callback));
  deferred_alarm_->arm(Duration{0});
}

void CharonIpsec::run_deferred() {
  // Callbacks may defer more; those run on the next turn.
  std::vector<std::function<void()>> now;
  now.swap(deferred_);
  retired_.clear();
  for (auto& callback : now) callback();
}

void CharonIpsec::establish(std::uint32_t tunnel_id, const Endpoint& local, const Endpoint& peer,
                            std::shared_ptr<const IpsecSettings> settings) {
  const std::uint64_t serial = next_serial_++;
  Tunnel& tunnel = tunnels_[tunnel_id];
  tunnel = Tunnel{};
  tunnel.serial = serial;
  tunnel.name = tunnel_connection_name(tunnel_id);
  tunnel.local = local;
  tunnel.peer = peer;
  tunnel.settings = std::move(settings);
  if (auto reason = unavailable()) {
    defer([this, tunnel_id, serial, reason = *reason] { fail(tunnel_id, serial, reason); });
    return;
  }
  // The PSK belongs to the gateway: its id when given, else its address
  // (what charon takes as its identity by default).
  const std::string owner =
      !tunnel.settings->remote_id.empty() ? tunnel.settings->remote_id : address_text(peer);
  load_credentials(tunnel.name, *tunnel.settings, owner,
                   [this, tunnel_id, serial](std::expected<std::string, std::string> loaded) {
                     Tunnel* current = find(tunnel_id, serial);
                     if (current == nullptr) return;
                     if (!loaded) {
                       fail(tunnel_id, serial, "charon refused the credentials: " + loaded.error());
                       return;
                     }
                     current->key_id = *loaded;
                     load_connection(tunnel_id, serial);
                   });
}

void CharonIpsec::load_credentials(
    const std::string& name, const IpsecSettings& settings, const std::string& owner,
    std::function<void(std::expected<std::string, std::string>)> done) {
  if (settings.uses_certificate()) {
    // The certificate travels inside load-conn; the key goes by itself.
    control_->command("load-key", private_key(settings.private_key),
                      [done](ViciClient::Response response) {
                        if (!response) return done(std::unexpected(response.error()));
                        if (auto result = command_result(*response); !result) {
                          return done(std::unexpected(result.error()));
                        }
                        done(cleaned(response->text("id")));
                      });
    return;
  }
  control_->command("load-shared", shared_key(name, settings.psk, owner),
                    [done](ViciClient::Response response) {
                      if (!response) return done(std::unexpected(response.error()));
                      if (auto result = command_result(*response); !result) {
                        return done(std::unexpected(result.error()));
                      }
                      done(std::string());
                    });
}

void CharonIpsec::load_connection(std::uint32_t tunnel_id, std::uint64_t serial) {
  Tunnel* tunnel = find(tunnel_id, serial);
  if (tunnel == nullptr) return;
  control_->command(
      "load-conn",
      initiator_connection(tunnel->name, tunnel->local, tunnel->peer, *tunnel->settings),
      [this, tunnel_id, serial](ViciClient::Response response) {
        if (find(tunnel_id, serial) == nullptr) return;
        if (!response) return fail(tunnel_id, serial, "charon: " + response.error());
        if (auto result = command_result(*response); !result) {
          return fail(tunnel_id, serial, "charon refused the connection: " + result.error());
        }
        waiting_to_initiate_.emplace_back(tunnel_id, serial);
        start_initiating();
      });
}

void CharonIpsec::start_initiating() {
  while (initiating_ < kMaxInitiating && !waiting_to_initiate_.empty()) {
    const auto [tunnel_id, serial] = waiting_to_initiate_.front();
    waiting_to_initiate_.erase(waiting_to_initiate_.begin());
    if (find(tunnel_id, serial) != nullptr) initiate(tunnel_id, serial);
  }
}

void CharonIpsec::initiate(std::uint32_t tunnel_id, std::uint64_t serial) {
  Tunnel* tunnel = find(tunnel_id, serial);
  if (tunnel == nullptr) return;
  auto client = ViciClient::connect(
      loop_, vici_path_,
      [this, tunnel_id, serial](const std::string& name, const vici::Section& message) {
        Tunnel* current = find(tunnel_id, serial);
        if (current == nullptr) return;
        if (name == "control-log" && current->log_lines.size() < kMaxLogLines) {
          current->log_lines.push_back(cleaned(message.text("msg")));
        } else if (name == "list-sa" && !current->established) {
          if (auto status = sa_status(message, current->name)) {
            current->established = true;
            events_.ipsec_established(tunnel_id, *status);
          }
        }
      },
      [](const std::string&) {});
  if (!client) return fail(tunnel_id, serial, "cannot reach charon: " + client.error());
  ++initiating_;
  tunnel->initiating = true;
  tunnel->initiator = std::move(*client);
  // Streamed events reach only clients registered for them.
  tunnel->initiator->subscribe("control-log", [](ViciClient::Response) {});
  tunnel->initiator->subscribe("list-sa", [](ViciClient::Response) {});
  tunnel->initiator->command("initiate", ipsec::initiate(tunnel->name, kInitiateTimeoutMs),
                             [this, tunnel_id, serial](ViciClient::Response response) {
                               initiated(tunnel_id, serial, std::move(response));
                             });
}

void CharonIpsec::initiated(std::uint32_t tunnel_id, std::uint64_t serial,
                            ViciClient::Response response) {
  Tunnel* tunnel = find(tunnel_id, serial);
  if (tunnel == nullptr || !tunnel->initiating) return;
  tunnel->initiating = false;
  --initiating_;
  defer([this] { start_initiating(); });
  std::string errmsg;
  if (!response) {
    errmsg = response.error();
  } else if (auto result = command_result(*response); !result) {
    errmsg = result.error();
  }
  if (!errmsg.empty()) return fail(tunnel_id, serial, failure_reason(errmsg, tunnel->log_lines));
  // Up: what was negotiated comes as list-sa events, then this answer.
  vici::Section filter;
  filter.add("ike", tunnel->name);
  tunnel->initiator->command(
      "list-sas", filter, [this, tunnel_id, serial](ViciClient::Response listed) {
        Tunnel* current = find(tunnel_id, serial);
        if (current == nullptr) return;
        retire(std::move(current->initiator));
        if (current->established) return;
        // Up and gone again before we looked.
        fail(tunnel_id, serial,
             "the SA was gone right after it came up" +
                 (listed ? std::string() : " (charon: " + listed.error() + ")"));
      });
}

void CharonIpsec::fail(std::uint32_t tunnel_id, std::uint64_t serial, const std::string& reason) {
  if (find(tunnel_id, serial) == nullptr) return;
  log(LogLevel::kNotice, "tunnel " + std::to_string(tunnel_id) + ": " + reason);
  // The engine answers with release(), which unloads what was loaded.
  events_.ipsec_failed(tunnel_id, reason);
}

void CharonIpsec::release(std::uint32_t tunnel_id) {
  auto it = tunnels_.find(tunnel_id);
  if (it == tunnels_.end()) return;
  Tunnel tunnel = std::move(it->second);
  tunnels_.erase(it);
  if (tunnel.initiating) {
    --initiating_;
    defer([this] { start_initiating(); });
  }
  retire(std::move(tunnel.initiator));
  unload(tunnel.name, tunnel.key_id, true);
}

void CharonIpsec::unload(const std::string& name, const std::string& key_id, bool terminate) {
  if (!control_) return;
  auto complain = [this, name](const char* what) {
    return [this, name, what](ViciClient::Response response) {
      if (!response) return;  // charon is gone, and our state with it
      // Terminating an SA that never came up is not worth a word.
      if (auto result = command_result(*response);
          !result && std::string_view(what) != "terminate") {
        log(LogLevel::kWarning, name + ": " + what + " failed: " + result.error());
      }
    };
  };
  if (terminate) control_->command("terminate", ipsec::terminate(name), complain("terminate"));
  control_->command("unload-conn", by_name(name), complain("unload-conn"));
  if (!key_id.empty()) {
    control_->command("unload-key", by_id(key_id), complain("unload-key"));
  } else {
    control_->command("unload-shared", by_id(name), [](ViciClient::Response) {});
  }
}

void CharonIpsec::protect_listener(std::uint32_t listener_id, const Endpoint& local,
                                   std::shared_ptr<const IpsecSettings> settings, Done done) {
  const std::string name = listener_connection_name(listener_id);
  if (auto reason = unavailable()) {
    defer([done, reason = *reason] { done(std::unexpected(reason)); });
    return;
  }
  load_credentials(
      name, *settings, settings->local_id,
      [this, listener_id, name, local, settings,
       done](std::expected<std::string, std::string> key) {
        if (!key) return done(std::unexpected("charon refused the credentials: " + key.error()));
        listener_keys_[listener_id] = *key;
        control_->command(
            "load-conn", responder_connection(name, local, *settings),
            [done](ViciClient::Response response) {
              if (!response) return done(std::unexpected(response.error()));
              if (auto result = command_result(*response); !result) {
                return done(std::unexpected("charon refused the connection: " + result.error()));
              }
              done({});
            });
      });
}

void CharonIpsec::release_listener(std::uint32_t listener_id) {
  std::string key_id;
  if (auto it = listener_keys_.find(listener_id); it != listener_keys_.end()) {
    key_id = it->second;
    listener_keys_.erase(it);
  }
  unload(listener_connection_name(listener_id), key_id, false);
}

void CharonIpsec::remove_leftovers() {
  if (!control_) return;
  control_->command("get-conns", {}, [this](ViciClient::Response response) {
    if (!response) return;
    for (const std::string& name : listed_names(*response, "conns")) {
      if (!is_ours(name)) continue;
      log(LogLevel::kInfo, "unloading " + cleaned(name) + ", left by an earlier run");
      unload(name, {}, true);
    }
  });
  control_->command("get-shared", {}, [this](ViciClient::Response response) {
    if (!response) return;
    for (const std::string& id : listed_names(*response, "keys")) {
      if (is_ours(id)) control_->command("unload-shared", by_id(id), [](ViciClient::Response) {});
    }
  });
}

void CharonIpsec::on_event(const std::string& name, const vici::Section& message) {
  if (name != "child-updown" && name != "ike-updown") return;
  std::vector<std::uint32_t> down;
  for (const auto& [tunnel_id, tunnel] : tunnels_) {
    if (tunnel.established && reports_down(message, tunnel.name)) down.push_back(tunnel_id);
  }
  for (std::uint32_t tunnel_id : down) {
    auto it = tunnels_.find(tunnel_id);
    if (it == tunnels_.end()) continue;
    fail(tunnel_id, it->second.serial,
         name == "ike-updown" ? "charon closed the IKE_SA" : "charon closed the CHILD_SA");
  }
}

void CharonIpsec::on_disconnect(const std::string& reason) {
  log(LogLevel::kWarning, "lost charon: " + reason);
  retire(std::move(control_));
  std::vector<std::pair<std::uint32_t, std::uint64_t>> affected;
  for (const auto& [tunnel_id, tunnel] : tunnels_) affected.emplace_back(tunnel_id, tunnel.serial);
  for (const auto& [tunnel_id, serial] : affected) {
    fail(tunnel_id, serial, "lost the connection to charon: " + reason);
  }
}

}  // namespace l2tp::ipsec
