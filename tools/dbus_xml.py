"""What tools/dbus-vtable-gen.py and tools/dbus-proxy-gen.py share: reading
one interface of dbus/*.xml and splitting D-Bus signatures into complete
types."""

import sys
import xml.etree.ElementTree as ElementTree

# C++ types of the basic D-Bus types, as sdbus-c++ maps them.
BASIC_TYPES = {
    "y": "std::uint8_t",
    "b": "bool",
    "q": "std::uint16_t",
    "u": "std::uint32_t",
    "t": "std::uint64_t",
    "n": "std::int16_t",
    "i": "std::int32_t",
    "x": "std::int64_t",
    "d": "double",
    "s": "std::string",
    "o": "sdbus::ObjectPath",
    "v": "sdbus::Variant",
}


def fail(message):
    sys.exit(f"{sys.argv[0]}: {message}")


def split_complete_type(signature):
    """The first complete type of `signature` and the rest."""
    if not signature:
        fail("empty signature")
    head = signature[0]
    if head in BASIC_TYPES:
        return head, signature[1:]
    if head == "a":
        element, rest = split_complete_type(signature[1:])
        return "a" + element, rest
    if head in "({":
        close = ")" if head == "(" else "}"
        inner = signature[1:]
        members = ""
        while inner and inner[0] != close:
            member, inner = split_complete_type(inner)
            members += member
        if not inner:
            fail(f"unterminated {head} in {signature}")
        return head + members + close, inner[1:]
    fail(f"unsupported type {head!r} in {signature}")


def complete_types(signature):
    types = []
    while signature:
        first, signature = split_complete_type(signature)
        types.append(first)
    return types


def annotation(element, name):
    for child in element.findall("annotation"):
        if child.get("name") == name:
            return child.get("value")
    return None


def c_string(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def load_interface(path):
    """The one interface of a dbus/*.xml file."""
    root = ElementTree.parse(path).getroot()
    interfaces = root.findall("interface")
    if len(interfaces) != 1:
        fail(f"{path}: expected one interface, found {len(interfaces)}")
    return interfaces[0]


def generate_header(generate):
    """The command line both generators share: INPUT.xml OUTPUT.h, the header
    being generate(interface)."""
    if len(sys.argv) != 3:
        fail(f"usage: {sys.argv[0]} INPUT.xml OUTPUT.h")
    with open(sys.argv[2], "w", encoding="utf-8") as output:
        output.write(generate(load_interface(sys.argv[1])))
