// Doubles for what the bus layer talks to: a Daemon that keeps views in maps
// and answers later from the loop like the real one, a polkit Authority with
// a settable verdict, and a caller identifier that poses as another uid.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "authz/authority.h"
#include "core/timing.h"
#include "daemon/daemon.h"
#include "dbus/caller.h"

namespace l2tp::dbus::testing {

// Runs callbacks from the loop, a moment after they were queued.
class Deferrer {
 public:
  explicit Deferrer(AlarmFactory& alarms);
  void defer(std::function<void()> work);

 private:
  std::deque<std::function<void()>> queue_;
  std::unique_ptr<Alarm> alarm_;
};

class FakeDaemon final : public daemon::Daemon {
 public:
  FakeDaemon(AlarmFactory& alarms, daemon::DaemonObserver& observer);

  void load_config() override {
    ++reload_calls;
    acting();
  }
  void bring_up(const std::string& name,
                std::function<void(daemon::Result<daemon::ConfigFileObjects>)> done) override;
  daemon::Result<void> put_down(const std::string& name) override;
  std::vector<daemon::ConfigFileStatus> config_files() const override { return files; }
  void shutdown(l2tp::Duration, std::function<void()> done) override { done(); }
  void create_tunnel(const config::TunnelRequest& request, uid_t owner,
                     std::function<void(daemon::Result<std::uint32_t>)> done) override;
  daemon::Result<std::uint32_t> create_session(std::uint32_t tunnel_id,
                                               const fsm::SessionConfig& config,
                                               uid_t owner) override;
  daemon::Result<std::uint32_t> listen(const fsm::ListenerConfig& config) override;
  daemon::Result<void> close_tunnel(std::uint32_t tunnel_id) override;
  daemon::Result<void> close_session(std::uint32_t tunnel_id, std::uint32_t session_id) override;
  daemon::Result<void> close_listener(std::uint32_t listener_id) override;

  std::optional<daemon::TunnelInfo> tunnel(std::uint32_t tunnel_id) const override;
  std::optional<daemon::SessionInfo> session(std::uint32_t tunnel_id,
                                             std::uint32_t session_id) const override;
  std::optional<daemon::ListenerInfo> listener(std::uint32_t listener_id) const override;
  std::vector<std::uint32_t> tunnel_ids() const override;
  std::vector<std::uint32_t> listener_ids() const override;
  daemon::Statistics tunnel_statistics(std::uint32_t tunnel_id) const override;
  daemon::Statistics listener_statistics(std::uint32_t listener_id) const override;
  daemon::Statistics session_statistics(std::uint32_t tunnel_id,
                                        std::uint32_t session_id) const override;
  std::string data_plane() const override { return "null"; }
  std::vector<std::string> features() const override { return {"l2tpv2", "l2tpv3", "udp"}; }
  config::Defaults defaults() const override { return {}; }

  // ---- What the tests drive and inspect ----
  // The next create/listen/close fails with this.
  std::optional<daemon::Failure> fail_next;
  // When set, close_* removes the object at once (as for a static tunnel),
  // from inside the call.
  bool close_removes_at_once = false;
  // When set, the view is gone before *_removed is called, as the daemon may
  // do; the bus layer must fall back on what it last announced.
  bool forget_before_removed = false;
  // New tunnels take the lowest free id, so a closed tunnel's id comes back.
  bool reuse_tunnel_ids = false;

  // Runs inside every create, listen and close, where the bus layer acts.
  std::function<void()> on_act;

  int reload_calls = 0;
  int up_calls = 0;
  int down_calls = 0;
  // The files Up and Down know (others: UnknownObject), with what Up answers.
  std::map<std::string, daemon::ConfigFileObjects> file_objects;
  std::vector<std::string> files_put_down;
  std::vector<daemon::ConfigFileStatus> files;  // what config_files() says
  int create_tunnel_calls = 0;
  int create_session_calls = 0;
  int listen_calls = 0;
  int close_calls = 0;
  std::optional<config::TunnelRequest> last_tunnel_request;
  std::optional<fsm::SessionConfig> last_session_config;
  std::optional<uid_t> last_owner;

  void add_tunnel(const daemon::TunnelInfo& info);
  void change_tunnel(std::uint32_t tunnel_id, const std::function<void(fsm::TunnelView&)>& edit);
  void remove_tunnel(std::uint32_t tunnel_id, const fsm::LastResult& result);
  void change_session(std::uint32_t tunnel_id, std::uint32_t session_id,
                      const std::function<void(fsm::SessionView&)>& edit);
  void remove_session(std::uint32_t tunnel_id, std::uint32_t session_id,
                      const fsm::LastResult& result);
  void accept_tunnel(std::uint32_t listener_id, std::uint32_t tunnel_id);
  void remove_listener(std::uint32_t listener_id);
  void change_listener_state(std::uint32_t listener_id, daemon::ListenerState state);
  // Sets `files` and tells the observer.
  void announce_files(const std::vector<daemon::ConfigFileStatus>& now);

 private:
  std::optional<daemon::Failure> take_failure();
  void acting() const {
    if (on_act) on_act();
  }

  Deferrer deferrer_;
  daemon::DaemonObserver& observer_;
  std::uint32_t next_tunnel_id_ = 4711;
  std::uint32_t next_session_id_ = 17;
  std::uint32_t next_listener_id_ = 1;
  std::map<std::uint32_t, daemon::TunnelInfo> tunnels_;
  std::map<std::pair<std::uint32_t, std::uint32_t>, daemon::SessionInfo> sessions_;
  std::map<std::uint32_t, daemon::ListenerInfo> listeners_;
};

class FakeAuthority final : public authz::Authority {
 public:
  struct Check {
    std::string sender;
    std::string action;
    bool allow_interaction = false;
  };

  explicit FakeAuthority(AlarmFactory& alarms) : deferrer_(alarms) {}
  authz::CheckId check(const std::string& sender, const std::string& action_id,
                       bool allow_interaction, std::function<void(authz::Verdict)> done) override;
  void cancel(authz::CheckId id) override;

  authz::Verdict verdict{authz::Decision::kAllowed, ""};
  std::vector<Check> checks;
  std::vector<authz::CheckId> cancelled;
  // While set, checks wait (like a polkit whose agent never answers) until
  // release() answers them with `verdict`.
  bool hold = false;
  std::size_t held() const { return held_.size(); }
  void release();

 private:
  Deferrer deferrer_;
  authz::CheckId last_id_ = 0;
  std::map<authz::CheckId, std::function<void(authz::Verdict)>> held_;
};

// The real credentials, with the uid replaced when the test poses as someone.
class PosingIdentifier final : public CallerIdentifier {
 public:
  explicit PosingIdentifier(sdbus::IConnection& bus) : real_(bus) {}
  void identify(sd_bus_message* call, Identified done) override;
  void on_departure(Departed departed) override { real_.on_departure(std::move(departed)); }

  std::optional<uid_t> pose_as;
  std::optional<Caller> last_real;  // what the credentials said, before posing
  BusCallerIdentifier& real() { return real_; }

 private:
  BusCallerIdentifier real_;
};

}  // namespace l2tp::dbus::testing
