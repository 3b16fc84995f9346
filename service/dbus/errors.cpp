#include "dbus/errors.h"

namespace l2tp::dbus {

const char* error_name(daemon::FailureKind kind) {
  switch (kind) {
    case daemon::FailureKind::kInvalidArgs:
      return kErrorInvalidArgs;
    case daemon::FailureKind::kNotSupported:
      return kErrorNotSupported;
    case daemon::FailureKind::kExists:
      return kErrorExists;
    case daemon::FailureKind::kLimitExceeded:
      return kErrorLimitExceeded;
    case daemon::FailureKind::kNotFound:
      return kErrorUnknownObject;
    case daemon::FailureKind::kFailed:
      return kErrorFailed;
  }
  return kErrorFailed;
}

sdbus::Error to_dbus_error(const daemon::Failure& failure) {
  return sdbus::Error(error_name(failure.kind), failure.message);
}

sdbus::Error invalid_args(const config::OptionError& error) {
  return sdbus::Error(kErrorInvalidArgs, error.to_string());
}

sdbus::Error failed(const std::string& message) {
  return sdbus::Error(kErrorFailed, message);
}

sdbus::Error authorization_error(const authz::Verdict& verdict) {
  switch (verdict.decision) {
    case authz::Decision::kDenied:
      return sdbus::Error(kErrorAccessDenied, "Not authorized to perform this operation");
    case authz::Decision::kInteractionRequired:
      return sdbus::Error(kErrorInteractiveAuthorizationRequired,
                          "Authorization requires interaction, which the caller did not allow");
    case authz::Decision::kAllowed:
    case authz::Decision::kFailed:
      break;
  }
  return failed(verdict.message.empty() ? std::string("Authorization check failed")
                                        : "Authorization check failed: " + verdict.message);
}

}  // namespace l2tp::dbus
