#include "authz/authority.h"

#include <sdbus-c++/sdbus-c++.h>

#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <unordered_map>
#include <utility>

namespace l2tp::authz {

namespace {

constexpr const char* kPolkitName = "org.freedesktop.PolicyKit1";
constexpr const char* kPolkitPath = "/org/freedesktop/PolicyKit1/Authority";
constexpr const char* kPolkitInterface = "org.freedesktop.PolicyKit1.Authority";
constexpr std::uint32_t kAllowUserInteraction = 1;

constexpr const char* kBusDriverName = "org.freedesktop.DBus";
constexpr const char* kBusDriverPath = "/org/freedesktop/DBus";

using Subject = sdbus::Struct<std::string, std::map<std::string, sdbus::Variant>>;
using Details = std::map<std::string, std::string>;
using AuthorizationResult = sdbus::Struct<bool, bool, Details>;

Verdict verdict_from(const AuthorizationResult& result) {
  const bool authorized = std::get<0>(result);
  const bool challenge = std::get<1>(result);
  if (authorized) return {Decision::kAllowed, {}};
  if (challenge) return {Decision::kInteractionRequired, {}};
  return {Decision::kDenied, {}};
}

Verdict failure(const std::string& action_id, const std::string& error_name,
                const std::string& error_message) {
  std::string message = "polkit could not check " + action_id + ": " + error_name;
  if (!error_message.empty()) message += ": " + error_message;
  return {Decision::kFailed, std::move(message)};
}

class PolkitAuthority final : public Authority {
 public:
  PolkitAuthority(std::unique_ptr<sdbus::IProxy> polkit, std::unique_ptr<sdbus::IProxy> bus_driver,
                  CheckTimeouts timeouts)
      : polkit_(std::move(polkit)), bus_driver_(std::move(bus_driver)), timeouts_(timeouts) {}

  CheckId check(const std::string& sender, const std::string& action_id, bool allow_interaction,
                std::function<void(Verdict)> done) override {
    const CheckId id = ++last_id_;
    const std::uint32_t flags = allow_interaction ? kAllowUserInteraction : 0;
    const std::chrono::milliseconds timeout =
        allow_interaction ? timeouts_.interactive : timeouts_.non_interactive;
    pending_.emplace(id, Pending{std::move(done), {}});
    try {
      // Serializing the sender into its variant already throws for text the
      // bus would refuse.
      const Subject subject{"system-bus-name", {{"name", sdbus::Variant(sender)}}};
      // The pending call belongs to the proxy: destroying this Authority
      // cancels it, so the reply handler may use `this`.
      pending_.at(id).call =
          polkit_->callMethodAsync("CheckAuthorization")
              .onInterface(kPolkitInterface)
              .withTimeout(timeout)
              .withArguments(subject, action_id, Details{}, flags, cancellation_id(id))
              .uponReplyInvoke([this, id, action_id](const sdbus::Error* error,
                                                     const AuthorizationResult& result) {
                finish(id, error != nullptr
                               ? failure(action_id, error->getName(), error->getMessage())
                               : verdict_from(result));
              });
    } catch (const sdbus::Error& error) {
      deliver_later(id, failure(action_id, error.getName(), error.getMessage()));
    }
    return id;
  }

  void cancel(CheckId id) override {
    const auto it = pending_.find(id);
    if (it == pending_.end()) return;
    sdbus::PendingAsyncCall call = std::move(it->second.call);
    pending_.erase(it);
    try {
      // polkit answers the check itself with Cancelled and this reply with
      // nothing of interest; neither is waited for.
      (void)polkit_->callMethodAsync("CancelCheckAuthorization")
          .onInterface(kPolkitInterface)
          .withTimeout(timeouts_.non_interactive)
          .withArguments(cancellation_id(id))
          .uponReplyInvoke([](const sdbus::Error*) {});
    } catch (const sdbus::Error&) {
      // The connection is going; polkit drops the check with it.
    }
    // Frees sd-bus's slot at once; a late answer is then discarded.
    if (call.isPending()) call.cancel();
  }

 private:
  struct Pending {
    std::function<void(Verdict)> done;
    sdbus::PendingAsyncCall call;
  };

  // Unique among this connection's checks, which is polkit's scope for it.
  static std::string cancellation_id(CheckId id) { return "l2tpbus-check-" + std::to_string(id); }

  void finish(CheckId id, Verdict verdict) {
    const auto it = pending_.find(id);
    if (it == pending_.end()) return;  // cancelled
    std::function<void(Verdict)> done = std::move(it->second.done);
    pending_.erase(it);
    done(std::move(verdict));
  }

  // The call could not even be sent (a broken connection, an argument the
  // bus refuses). The verdict must still arrive from the bus's event
  // processing rather than from inside check(), so it rides on the reply to
  // a Ping of the bus driver, whatever that reply is.
  void deliver_later(CheckId id, Verdict verdict) {
    try {
      pending_.at(id).call =
          bus_driver_->callMethodAsync("Ping")
              .onInterface("org.freedesktop.DBus.Peer")
              .withTimeout(timeouts_.non_interactive)
              .uponReplyInvoke([this, id, verdict = std::move(verdict)](const sdbus::Error*) {
                finish(id, verdict);
              });
    } catch (const sdbus::Error&) {
      // Nothing can be sent on this connection any more, so its event
      // processing has ended too and no reply could reach the caller: the
      // check is dropped with `done`.
      pending_.erase(id);
    }
  }

  std::unique_ptr<sdbus::IProxy> polkit_;
  std::unique_ptr<sdbus::IProxy> bus_driver_;
  CheckTimeouts timeouts_;
  CheckId last_id_ = 0;
  std::unordered_map<CheckId, Pending> pending_;
};

}  // namespace

std::unique_ptr<Authority> Authority::create(sdbus::IConnection& bus, CheckTimeouts timeouts) {
  // Creating a proxy sends nothing; it throws only for invalid names (these
  // are constants) or a connection that is not sdbus-c++'s own.
  return std::make_unique<PolkitAuthority>(sdbus::createProxy(bus, kPolkitName, kPolkitPath),
                                           sdbus::createProxy(bus, kBusDriverName, kBusDriverPath),
                                           timeouts);
}

}  // namespace l2tp::authz
