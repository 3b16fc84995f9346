// The IpsecPort on strongSwan's charon, over VICI. Per tunnel: the
// credentials (load-shared, or load-key with the certificate inline), a
// transport-mode connection for exactly the tunnel's addresses and UDP
// ports (load-conn), then initiate on a VICI connection of its own, so that
// one slow IKE exchange holds up no other tunnel; charon's log lines during
// it give the reason when it fails. Established SAs are followed through
// the ike-updown and child-updown events on the main connection. release()
// terminates the SA and unloads connection and credentials.
//
// Listeners get a responder connection and its credentials.
#pragma once

#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/ipsec.h"
#include "core/log.h"
#include "ipsec/vici_client.h"
#include "loop/event_loop.h"

namespace l2tp::ipsec {

class CharonIpsec final : public IpsecService {
 public:
  // IKE exchanges running at once (one VICI connection each); more wait.
  static constexpr std::size_t kMaxInitiating = 64;

  // Tries charon's VICI socket at once, and again whenever IPsec is wanted
  // while it is not connected: charon may start after l2tpbusd, or restart.
  static std::unique_ptr<CharonIpsec> open(loop::EventLoop& loop, const std::string& vici_path,
                                           IpsecEvents& events, Logger& logger);
  ~CharonIpsec() override;
  CharonIpsec(const CharonIpsec&) = delete;
  CharonIpsec& operator=(const CharonIpsec&) = delete;

  // Connected, or connects now (subscribing to the up/down events and
  // unloading what an earlier run left); else why not.
  std::optional<std::string> unavailable() override;
  void establish(std::uint32_t tunnel_id, const Endpoint& local, const Endpoint& peer,
                 std::shared_ptr<const IpsecSettings> settings) override;
  void release(std::uint32_t tunnel_id) override;

  // A responder connection (any remote address, the listener's port) and
  // its credentials.
  void protect_listener(std::uint32_t listener_id, const Endpoint& local,
                        std::shared_ptr<const IpsecSettings> settings, Done done) override;
  void release_listener(std::uint32_t listener_id) override;
  // Unloads the connections and PSKs an earlier l2tpbusd left in charon
  // (names starting with kNamePrefix). Private keys carry no name of ours
  // and stay until charon restarts.
  void remove_leftovers() override;

 private:
  struct Tunnel {
    std::uint64_t serial = 0;  // tells a reused tunnel id from the one a callback was for
    std::string name;
    Endpoint local;
    Endpoint peer;
    std::shared_ptr<const IpsecSettings> settings;
    std::string key_id;  // load-key's answer, for unload-key
    std::unique_ptr<ViciClient> initiator;
    std::vector<std::string> log_lines;
    bool initiating = false;  // counted in initiating_
    bool established = false;
  };

  CharonIpsec(loop::EventLoop& loop, std::string vici_path, IpsecEvents& events, Logger& logger);
  void load_credentials(const std::string& name, const IpsecSettings& settings,
                        const std::string& owner,
                        std::function<void(std::expected<std::string, std::string>)> done);
  void load_connection(std::uint32_t tunnel_id, std::uint64_t serial);
  void start_initiating();
  void initiate(std::uint32_t tunnel_id, std::uint64_t serial);
  void initiated(std::uint32_t tunnel_id, std::uint64_t serial, ViciClient::Response response);
  void fail(std::uint32_t tunnel_id, std::uint64_t serial, const std::string& reason);
  void unload(const std::string& name, const std::string& key_id, bool terminate);
  void on_event(const std::string& name, const vici::Section& message);
  void on_disconnect(const std::string& reason);
  Tunnel* find(std::uint32_t tunnel_id, std::uint64_t serial);
  // Destroys a VICI connection outside its own callbacks.
  void retire(std::unique_ptr<ViciClient> client);
  // Runs `callback` from the loop: answers never come from inside a call.
  void defer(std::function<void()> callback);
  void run_deferred();
  void log(LogLevel level, const std::string& message);

  loop::EventLoop& loop_;
  std::string vici_path_;
  IpsecEvents& events_;
  Logger& logger_;
  std::unique_ptr<ViciClient> control_;
  std::unordered_map<std::uint32_t, Tunnel> tunnels_;
  std::vector<std::pair<std::uint32_t, std::uint64_t>> waiting_to_initiate_;
  std::size_t initiating_ = 0;
  std::uint64_t next_serial_ = 1;
  std::unordered_map<std::uint32_t, std::string> listener_keys_;  // listener id -> key id
  std::vector<std::unique_ptr<ViciClient>> retired_;
  std::vector<std::function<void()>> deferred_;
  std::unique_ptr<Alarm> deferred_alarm_;
};

}  // namespace l2tp::ipsec
