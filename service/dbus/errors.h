// The D-Bus errors of the API (dbus-api.md, "Errors") and the one table that
// maps the daemon's failures onto them.
#pragma once

#include <sdbus-c++/Error.h>

#include <string>

#include "authz/authority.h"
#include "config/options.h"
#include "daemon/daemon.h"

namespace l2tp::dbus {

inline constexpr const char* kErrorInvalidArgs = "org.freedesktop.DBus.Error.InvalidArgs";
inline constexpr const char* kErrorAccessDenied = "org.freedesktop.DBus.Error.AccessDenied";
inline constexpr const char* kErrorInteractiveAuthorizationRequired =
    "org.freedesktop.DBus.Error.InteractiveAuthorizationRequired";
inline constexpr const char* kErrorUnknownObject = "org.freedesktop.DBus.Error.UnknownObject";
inline constexpr const char* kErrorNotSupported = "org.l2tpbus1.Error.NotSupported";
inline constexpr const char* kErrorExists = "org.l2tpbus1.Error.Exists";
inline constexpr const char* kErrorLimitExceeded = "org.l2tpbus1.Error.LimitExceeded";
inline constexpr const char* kErrorFailed = "org.l2tpbus1.Error.Failed";

// The single table: every daemon::FailureKind has exactly one D-Bus name.
const char* error_name(daemon::FailureKind kind);

sdbus::Error to_dbus_error(const daemon::Failure& failure);
sdbus::Error invalid_args(const config::OptionError& error);
sdbus::Error failed(const std::string& message);
// The error for a verdict other than kAllowed.
sdbus::Error authorization_error(const authz::Verdict& verdict);

}  // namespace l2tp::dbus
