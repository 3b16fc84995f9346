#!/usr/bin/env python3
"""Generates, from one interface of dbus/*.xml, an sd-bus vtable and the C++
class whose virtual functions serve it (a header, at build time).

The objects that exist by the thousand (tunnels, sessions, listeners) are
served through sd-bus fallback vtables: one registration per interface,
and the object is found by its path when a call or a property read
arrives, so an object costs the bus nothing. sdbus-c++ 1.2 registers a
vtable per object (about 4 KB each); it keeps serving the Manager.

The XML stays the source of truth: member names, signatures, argument
names, property flags (EmitsChangedSignal) come from it. Methods must be
annotated org.freedesktop.DBus.Method.Async=server (every call here runs
the call pipeline and replies later). Types are mapped as sdbus-c++'s
adaptors map them, so the objects' getters keep their C++ signatures.

usage: dbus-vtable-gen.py INPUT.xml OUTPUT.h
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dbus_xml import (BASIC_TYPES, annotation, c_string, complete_types,  # noqa: E402
                      fail, generate_header)

EMITS_FLAGS = {
    "true": "SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE",
    "invalidates": "SD_BUS_VTABLE_PROPERTY_EMITS_INVALIDATION",
    "const": "SD_BUS_VTABLE_PROPERTY_CONST",
    "false": "0",
}


def cpp_type(signature):
    if signature in BASIC_TYPES:
        return BASIC_TYPES[signature]
    if signature.startswith("a{"):
        key, value = complete_types(signature[2:-1])
        return f"std::map<{cpp_type(key)}, {cpp_type(value)}>"
    if signature.startswith("a"):
        return f"std::vector<{cpp_type(signature[1:])}>"
    if signature.startswith("("):
        members = ", ".join(cpp_type(t) for t in complete_types(signature[1:-1]))
        return f"sdbus::Struct<{members}>"
    fail(f"unsupported signature {signature}")


def param_names(args):
    return "".join(f"SD_BUS_PARAM({arg.get('name')})" for arg in args) or '""'


def generate(interface):
    name = interface.get("name")
    short = name.rsplit(".", 1)[-1]
    namespace = "::".join(name.split(".")[:-1])
    cls = f"{short}_vtable"
    virtuals, trampolines, entries = [], [], []

    for method in interface.findall("method"):
        member = method.get("name")
        if annotation(method, "org.freedesktop.DBus.Method.Async") != "server":
            fail(f"{name}.{member}: only methods annotated Method.Async=server are supported")
        ins = [a for a in method.findall("arg") if a.get("direction", "in") == "in"]
        outs = [a for a in method.findall("arg") if a.get("direction") == "out"]
        in_signature = "".join(a.get("type") for a in ins)
        out_signature = "".join(a.get("type") for a in outs)
        result = f"l2tp::dbus::MethodResult<{', '.join(cpp_type(a.get('type')) for a in outs)}>"
        parameters = "".join(f", {cpp_type(a.get('type'))} {a.get('name')}" for a in ins)
        virtuals.append(f"  virtual void {member}({result}&& result{parameters}) = 0;")
        reads = "".join(
            f"\n      {cpp_type(a.get('type'))} {a.get('name')}{{}};"
            f"\n      if (int r = l2tp::dbus::read(call, {a.get('name')}); r < 0) return r;"
            for a in ins)
        arguments = "".join(f", std::move({a.get('name')})" for a in ins)
        trampolines.append(
            f"  static int method_{member}(sd_bus_message* call, void* object, sd_bus_error* error) {{\n"
            f"    return l2tp::dbus::serve_method(error, [&]() -> int {{{reads}\n"
            f"      static_cast<{cls}*>(object)->{member}({result}(call){arguments});\n"
            f"      return 1;\n"
            f"    }});\n"
            f"  }}")
        entries.append(
            f"      SD_BUS_METHOD_WITH_NAMES({c_string(member)}, {c_string(in_signature)}, "
            f"{param_names(ins)}, {c_string(out_signature)}, {param_names(outs)}, "
            f"&{cls}::method_{member}, SD_BUS_VTABLE_UNPRIVILEGED),")

    for prop in interface.findall("property"):
        member, signature = prop.get("name"), prop.get("type")
        if prop.get("access") != "read":
            fail(f"{name}.{member}: only read-only properties are supported")
        emits = annotation(prop, "org.freedesktop.DBus.Property.EmitsChangedSignal") or "true"
        if emits not in EMITS_FLAGS:
            fail(f"{name}.{member}: EmitsChangedSignal={emits}")
        virtuals.append(f"  virtual {cpp_type(signature)} {member}() = 0;")
        trampolines.append(
            f"  static int get_{member}(sd_bus*, const char*, const char*, const char*,\n"
            f"                          sd_bus_message* reply, void* object, sd_bus_error* error) {{\n"
            f"    return l2tp::dbus::serve_property(reply, error,\n"
            f"        [&] {{ return static_cast<{cls}*>(object)->{member}(); }});\n"
            f"  }}")
        entries.append(
            f"      SD_BUS_PROPERTY({c_string(member)}, {c_string(signature)}, "
            f"&{cls}::get_{member}, 0, {EMITS_FLAGS[emits]}),")

    for signal in interface.findall("signal"):
        fail(f"{name}.{signal.get('name')}: signals are not supported")

    nl = "\n"
    return f"""// Generated from {name}.xml by tools/dbus-vtable-gen.py: do not edit.
#pragma once

#include <systemd/sd-bus.h>

#include "dbus/message_codec.h"

namespace {namespace} {{

class {cls} {{
 public:
  static constexpr const char* INTERFACE_NAME = {c_string(name)};
  // For sd_bus_add_fallback_vtable(): the find callback hands over a
  // {cls}*.
  static const sd_bus_vtable* vtable() {{
    static const sd_bus_vtable table[] = {{
      SD_BUS_VTABLE_START(0),
{nl.join(entries)}
      SD_BUS_VTABLE_END,
    }};
    return table;
  }}

  {cls}() = default;
  {cls}(const {cls}&) = delete;
  {cls}& operator=(const {cls}&) = delete;

 protected:
  virtual ~{cls}() = default;

{nl.join(virtuals)}

 private:
{nl.join(trampolines)}
}};

}}  // namespace {namespace}
"""


if __name__ == "__main__":
    generate_header(generate)
