// The one way a mutating call is served: validate the arguments, identify
// the caller, refuse what the caller may never ask (whatever polkit says),
// authorize, act, reply. Each step refuses with the error of dbus-api.md and
// nothing is done when any step fails. The act step runs from the loop, never
// inside the dispatch of the call, so acting may remove the very object the
// call was made on.
#pragma once

#include <sdbus-c++/Error.h>
#include <sdbus-c++/Message.h>

#include <deque>
#include <expected>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "authz/authority.h"
#include "core/timing.h"
#include "daemon/daemon.h"
#include "dbus/authorization.h"
#include "dbus/caller.h"
#include "dbus/errors.h"

namespace l2tp::dbus {

sdbus::Error unknown_object(const std::string& path);
sdbus::Error daemon_not_ready();
sdbus::Error daemon_shutting_down();

// How refusals and replies that could not be sent appear in the log: the
// call, who made it (once known), and the error; option values never appear,
// so no secret can.
void log_refusal(Operation operation, const Caller* caller, const sdbus::Error& error);
void log_unsent(Operation operation, const Caller* caller, const sdbus::Error& send_error);

// The one answer to a call; copies share it, whichever step gives it.
template <typename Result>
class CallReply {
 public:
  CallReply(Result result, Operation operation)
      : state_(std::make_shared<State>(State{std::move(result), operation, std::nullopt})) {}

  void refuse(const sdbus::Error& error) const {
    log_refusal(state_->operation, caller(), error);
    try {
      state_->result.returnError(error);
    } catch (const sdbus::Error& send_error) {
      log_unsent(state_->operation, caller(), send_error);
    }
  }
  // Through the one table of errors.h.
  void refuse(const daemon::Failure& failure) const { refuse(to_dbus_error(failure)); }

  template <typename... Values>
  void succeed(const Values&... values) const {
    try {
      state_->result.returnResults(values...);
    } catch (const sdbus::Error& send_error) {
      log_unsent(state_->operation, caller(), send_error);
    }
  }

 private:
  friend class CallPipeline;
  struct State {
    Result result;
    Operation operation;
    std::optional<Caller> caller;
  };

  const Caller* caller() const { return state_->caller ? &*state_->caller : nullptr; }
  void identified(const Caller& caller) const { state_->caller = caller; }

  std::shared_ptr<State> state_;
};

// Whether `uid` owns the object acted on; nullopt once the object is gone.
using OwnershipProbe = std::function<std::optional<bool>(uid_t uid)>;

// One call, declared as its steps, in the order they run.
template <typename Request, typename Result>
struct CallSteps {
  Operation operation;
  // Runs at once, before the caller is known: the request, or the error to
  // refuse with (InvalidArgs naming the key, UnknownObject).
  std::function<std::expected<Request, sdbus::Error>()> validate;
  // Why this caller may not ask this whatever polkit says (AccessDenied),
  // or nullopt; none when empty.
  std::function<std::optional<std::string>(const Caller&, const Request&)> forbidden = {};
  // The object acted on, for authorization by ownership; empty for calls
  // that act on no one's object.
  std::string path = {};
  OwnershipProbe owns = {};
  // Acts and answers `reply`, at once or later.
  std::function<void(const Caller&, const Request&, const CallReply<Result>&)> act;
};

class CallPipeline {
 public:
  // Everything passed in must outlive the pipeline. `daemon_attached` says
  // whether there is a daemon to act on: calls before it are refused as
  // "still starting", calls authorized after it left as "shutting down".
  CallPipeline(AlarmFactory& alarms, authz::Authority& authority, CallerIdentifier& callers,
               std::function<bool()> daemon_attached);
  // Checks waiting for polkit are cancelled and deferred steps dropped:
  // nothing of a call runs after this.
  ~CallPipeline();
  CallPipeline(const CallPipeline&) = delete;
  CallPipeline& operator=(const CallPipeline&) = delete;

  // `call` is the message being dispatched; it is read before this returns.
  template <typename Request, typename Result>
  void run(sd_bus_message* call, Result result, CallSteps<Request, Result> steps);

  // An object removed while an act step runs: sd-bus checks a method reply
  // against the vtable of the object that received the call, so an object
  // the act removes must stay registered until the act has replied (acts on
  // objects reply before they return). Dropped at once outside acts.
  void release_after_act(std::shared_ptr<void> object);

  // Wraps a callback that may run after the pipeline is gone (a resolver's
  // answer to an act step).
  template <typename Callback>
  auto while_alive(Callback callback) {
    return [alive = std::weak_ptr<bool>(alive_),
            callback = std::move(callback)](auto&&... arguments) mutable {
      if (!alive.expired()) callback(std::forward<decltype(arguments)>(arguments)...);
    };
  }

 private:
  // `identified` runs from the loop, never inside the dispatch of `call`:
  // when the uid is known at once, one deferral later. `refused` runs at
  // once or later.
  void identify(sd_bus_message* call, std::function<void(const Caller&)> identified,
                std::function<void(const sdbus::Error&)> refused);
  // Authorizes an operation by the owner of its object at the time, and
  // again if polkit's answer came after the object's id passed to another
  // owner (the object closed and the id reused meanwhile).
  void authorize(const Caller& caller, Operation operation, const std::string& path,
                 const OwnershipProbe& owns, Authorizer::Done done, int rechecks_left = 2);
  // Runs `step` from the loop, after the steps deferred before it.
  void defer(std::function<void()> step);
  void act_now(const std::function<void()>& act);

  Authorizer authorizer_;
  CallerIdentifier& callers_;
  std::function<bool()> daemon_attached_;
  std::deque<std::function<void()>> deferred_;
  std::unique_ptr<Alarm> deferred_alarm_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  int acting_ = 0;
  std::vector<std::shared_ptr<void>> released_during_act_;
};

template <typename Request, typename Result>
void CallPipeline::run(sd_bus_message* call, Result result, CallSteps<Request, Result> steps) {
  const CallReply<Result> reply(std::move(result), steps.operation);
  if (!daemon_attached_()) return reply.refuse(daemon_not_ready());
  std::expected<Request, sdbus::Error> validated = steps.validate();
  if (!validated) return reply.refuse(validated.error());

  auto authorize_and_act = [this, reply, operation = steps.operation,
                            forbidden = std::move(steps.forbidden), path = std::move(steps.path),
                            owns = std::move(steps.owns), act = std::move(steps.act),
                            request = std::move(*validated)](const Caller& caller) {
    reply.identified(caller);
    if (forbidden) {
      if (std::optional<std::string> refusal = forbidden(caller, request)) {
        return reply.refuse(sdbus::Error(kErrorAccessDenied, *refusal));
      }
    }
    authorize(caller, operation, path, owns,
              [this, reply, caller, act, request](std::optional<sdbus::Error> denied) {
                if (denied) return reply.refuse(*denied);
                if (!daemon_attached_()) return reply.refuse(daemon_shutting_down());
                act_now([&] { act(caller, request, reply); });
              });
  };
  identify(call, std::move(authorize_and_act),
           [reply](const sdbus::Error& error) { reply.refuse(error); });
}

}  // namespace l2tp::dbus
