#include "dbus/call_pipeline.h"

#include <string_view>

#include "daemon/log.h"

namespace l2tp::dbus {

namespace {

using daemon::log;

std::string describe(Operation operation, const Caller* caller) {
  std::string text = to_string(operation);
  if (caller != nullptr) {
    text += " by uid " + std::to_string(caller->uid) + " (" + caller->sender + ")";
  }
  return text;
}

}  // namespace

sdbus::Error unknown_object(const std::string& path) {
  return sdbus::Error(kErrorUnknownObject, "no object " + path);
}

sdbus::Error daemon_not_ready() {
  return failed("the daemon is still starting; try again");
}

sdbus::Error daemon_shutting_down() {
  return failed("the daemon is shutting down");
}

void log_refusal(Operation operation, const Caller* caller, const sdbus::Error& error) {
  const bool refused_by_policy = error.getName() == kErrorAccessDenied ||
                                 error.getName() == kErrorInteractiveAuthorizationRequired;
  log(refused_by_policy ? LogLevel::kNotice : LogLevel::kInfo, "bus", describe(operation, caller),
      " refused: ", error.getName(), ": ", daemon::printable(error.getMessage()));
}

void log_unsent(Operation operation, const Caller* caller, const sdbus::Error& send_error) {
  log(LogLevel::kWarning, "bus", "cannot reply to ", describe(operation, caller), ": ",
      send_error.getMessage());
}

CallPipeline::CallPipeline(AlarmFactory& alarms, authz::Authority& authority,
                           CallerIdentifier& callers, std::function<bool()> daemon_attached)
    : authorizer_(authority), callers_(callers), daemon_attached_(std::move(daemon_attached)) {
  deferred_alarm_ = alarms.create([this] {
    std::deque<std::function<void()>> due;
    due.swap(deferred_);
    for (std::function<void()>& step : due) step();
  });
  callers_.on_departure([this](const std::string& sender) { authorizer_.caller_departed(sender); });
}

CallPipeline::~CallPipeline() {
  callers_.on_departure({});
}

void CallPipeline::defer(std::function<void()> step) {
  deferred_.push_back(std::move(step));
  deferred_alarm_->arm(Duration::zero());
}

void CallPipeline::act_now(const std::function<void()>& act) {
  ++acting_;
  act();
  if (--acting_ == 0) released_during_act_.clear();
}

void CallPipeline::release_after_act(std::shared_ptr<void> object) {
  if (acting_ > 0) released_during_act_.push_back(std::move(object));
}

void CallPipeline::identify(sd_bus_message* call, std::function<void(const Caller&)> identified,
                            std::function<void(const sdbus::Error&)> refused) {
  // Known at once (a remembered uid) means still inside the dispatch of
  // `call`: acting there could remove the object being dispatched.
  auto dispatching = std::make_shared<bool>(true);
  callers_.identify(
      call, while_alive([this, dispatching, identified = std::move(identified),
                         refused = std::move(refused)](std::expected<Caller, sdbus::Error> caller) {
        if (!caller) return refused(caller.error());
        if (!*dispatching) return identified(*caller);
        defer([identified, caller = std::move(*caller)] { identified(caller); });
      }));
  *dispatching = false;
}

void CallPipeline::authorize(const Caller& caller, Operation operation, const std::string& path,
                             const OwnershipProbe& owns, Authorizer::Done done, int rechecks_left) {
  // Calls on no one's object are authorized as by a non-owner.
  const auto owned_by_caller = [owns, uid = caller.uid]() -> std::optional<bool> {
    return owns ? owns(uid) : std::optional<bool>(false);
  };
  const std::optional<bool> owned = owned_by_caller();
  if (!owned) return done(unknown_object(path));
  const char* granted = polkit_action(operation, caller.uid, *owned);
  authorizer_.authorize_action(
      caller, granted,
      while_alive([this, caller, operation, path, owns, done, rechecks_left, granted,
                   owned_by_caller](std::optional<sdbus::Error> denied) {
        if (denied) return done(std::move(denied));
        // While polkit was deciding, the object may have gone and its id
        // been given to another owner's object: what was granted must still
        // be what the object now asks for.
        const std::optional<bool> owned_now = owned_by_caller();
        if (!owned_now) return done(unknown_object(path));
        const char* needed = polkit_action(operation, caller.uid, *owned_now);
        if (needed == nullptr || (granted != nullptr && std::string_view(needed) == granted)) {
          return done(std::nullopt);
        }
        if (rechecks_left == 0) return done(failed(path + " changed while being authorized"));
        authorize(caller, operation, path, owns, done, rechecks_left - 1);
      }));
}

}  // namespace l2tp::dbus
