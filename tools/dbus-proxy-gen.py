#!/usr/bin/env python3
"""Generates, from one interface of dbus/*.xml, the C++ proxy l2tpctl calls
its methods through (a header, at build time).

Why not sdbus-c++'s own proxies (sdbus-c++-xml2cpp --proxy): l2tpctl must
be able to set the allow-interactive-authorization flag on a call, so that
polkit may ask the user for a password through pkttyagent (as systemctl
does), and sdbus-c++ 1.2, Debian bookworm's, offers no way to set it. The
proxy is thus built on sd-bus, which does (ctl/bus/bus_connection.h).

The XML stays the source of truth for member names, argument names and
signatures. Methods only: l2tpctl reads properties generically, through
ObjectManager.GetManagedObjects and PropertiesChanged, into JSON.

usage: dbus-proxy-gen.py INPUT.xml OUTPUT.h
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dbus_xml import c_string, fail, generate_header  # noqa: E402

# What the client passes and gets back, per signature; the functions that
# append and read them live in ctl/bus/message_io.h.
IN_TYPES = {
    "s": "const std::string&",
    "o": "const std::string&",
    "u": "std::uint32_t",
    "b": "bool",
    "a{sv}": "const l2tp::config::OptionMap&",
}
OUT_TYPES = {
    "s": "std::string",
    "o": "std::string",
    "u": "std::uint32_t",
    "b": "bool",
    "ao": "std::vector<std::string>",
    "as": "std::vector<std::string>",
}


def generate(interface):
    name = interface.get("name")
    short = name.rsplit(".", 1)[-1]
    methods = []
    for method in interface.findall("method"):
        member = method.get("name")
        ins = [a for a in method.findall("arg") if a.get("direction", "in") == "in"]
        outs = [a for a in method.findall("arg") if a.get("direction") == "out"]
        for arg in ins:
            if arg.get("type") not in IN_TYPES:
                fail(f"{name}.{member}: unsupported argument type {arg.get('type')}")
        if len(outs) > 1 or (outs and outs[0].get("type") not in OUT_TYPES):
            fail(f"{name}.{member}: only one result of a supported type")
        parameters = ", ".join(f"{IN_TYPES[a.get('type')]} {a.get('name')}" for a in ins)
        appends = "".join(
            f"\n      message::append(call, {c_string(a.get('type'))}, {a.get('name')});"
            for a in ins)
        result = OUT_TYPES[outs[0].get("type")] if outs else "void"
        signature = "".join(a.get("type") for a in ins)
        body = (
            f"    MessagePtr reply = bus_.call(path_, INTERFACE_NAME, {c_string(member)},\n"
            f"        [&]([[maybe_unused]] sd_bus_message* call) {{{appends}\n"
            f"        }});\n")
        if outs:
            out = outs[0]
            body += (
                f"    {result} {out.get('name')}{{}};\n"
                f"    message::read(reply.get(), {c_string(out.get('type'))}, {out.get('name')});\n"
                f"    return {out.get('name')};\n")
        methods.append(
            f"  // {member}({signature})\n"
            f"  {result} {member}({parameters}) {{\n{body}  }}")

    nl = "\n"
    return f"""// Generated from {name}.xml by tools/dbus-proxy-gen.py: do not edit.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "bus/bus_connection.h"
#include "bus/message_io.h"
#include "config/options.h"

namespace l2tp::ctl::proxy {{

class {short} {{
 public:
  static constexpr const char* INTERFACE_NAME = {c_string(name)};

  {short}(BusConnection& bus, std::string path) : bus_(bus), path_(std::move(path)) {{}}

{(nl + nl).join(methods)}

 private:
  BusConnection& bus_;
  std::string path_;
}};

}}  // namespace l2tp::ctl::proxy
"""


if __name__ == "__main__":
    generate_header(generate)
