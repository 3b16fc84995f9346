#include "authz/authority.h"

#include <sdbus-c++/sdbus-c++.h>

#include <cstdint>
#include <map>
#include <string>
#include <tuple>
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
                  std::chrono::milliseconds check_timeout)
      : polkit_(std::move(polkit)),
        bus_driver_(std::move(bus_driver)),
        check_timeout_(check_timeout) {}

  void check(const std::string& sender, const std::string& action_id, bool allow_interaction,
             std::function<void(Verdict)> done) override {
    const std::uint32_t flags = allow_interaction ? kAllowUserInteraction : 0;
    try {
      // Serializing the sender into its variant already throws for text the
      // bus would refuse.
      const Subject subject{"system-bus-name", {{"name", sdbus::Variant(sender)}}};
      // The pending call belongs to the proxy: destroying this Authority
      // cancels it, so the handle sdbus-c++ returns is not kept. `done` is
      // copied, not moved, because sending may still throw after the reply
      // handler was built, and the failure path needs it.
      (void)polkit_->callMethodAsync("CheckAuthorization")
          .onInterface(kPolkitInterface)
          .withTimeout(check_timeout_)
          .withArguments(subject, action_id, Details{}, flags, std::string{})
          .uponReplyInvoke(
              [action_id, done](const sdbus::Error* error, const AuthorizationResult& result) {
                if (error != nullptr) {
                  done(failure(action_id, error->getName(), error->getMessage()));
                } else {
                  done(verdict_from(result));
                }
              });
    } catch (const sdbus::Error& error) {
      deliver_later(failure(action_id, error.getName(), error.getMessage()), std::move(done));
    }
  }

 private:
  // The call could not even be sent (a broken connection, an argument the
  // bus refuses). The verdict must still arrive from the bus's event
  // processing rather than from inside check(), so it rides on the reply to
  // a Ping of the bus driver, whatever that reply is.
  void deliver_later(Verdict verdict, std::function<void(Verdict)> done) {
    try {
      (void)bus_driver_->callMethodAsync("Ping")
          .onInterface("org.freedesktop.DBus.Peer")
          .withTimeout(check_timeout_)
          .uponReplyInvoke(
              [verdict = std::move(verdict), done](const sdbus::Error*) { done(verdict); });
    } catch (const sdbus::Error&) {
      // Nothing can be sent on this connection any more, so its event
      // processing has ended too and no reply could reach the caller: the
      // check is dropped with `done`.
    }
  }

  std::unique_ptr<sdbus::IProxy> polkit_;
  std::unique_ptr<sdbus::IProxy> bus_driver_;
  std::chrono::milliseconds check_timeout_;
};

}  // namespace

std::unique_ptr<Authority> Authority::create(sdbus::IConnection& bus) {
  return create(bus, kCheckTimeout);
}

std::unique_ptr<Authority> Authority::create(sdbus::IConnection& bus,
                                             std::chrono::milliseconds check_timeout) {
  // Creating a proxy sends nothing; it throws only for invalid names (these
  // are constants) or a connection that is not sdbus-c++'s own.
  return std::make_unique<PolkitAuthority>(sdbus::createProxy(bus, kPolkitName, kPolkitPath),
                                           sdbus::createProxy(bus, kBusDriverName, kBusDriverPath),
                                           check_timeout);
}

}  // namespace l2tp::authz
