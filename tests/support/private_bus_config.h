// The configuration of the private dbus-daemon the C++ tests start: a
// session-type bus on a socket in the test's own directory, on which
// everyone may own and call anything (the tests play daemon and clients).
#pragma once

#include <string>

namespace l2tp::testing {

inline std::string private_bus_config(const std::string& socket_path) {
  return R"(<!DOCTYPE busconfig PUBLIC
 "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=)" +
         socket_path + R"(</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
)";
}

}  // namespace l2tp::testing
