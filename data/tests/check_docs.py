#!/usr/bin/python3
"""Man pages, example files and the example l2tpbusd.conf.

  check_docs.py SOURCE_ROOT

- every page of data/man renders with groff -man -ww without a warning, and
  its .TH names the file;
- l2tpbus.tunnel(5) documents each key of [Tunnel], [Session] and [Listener]
  with its D-Bus type, exactly the keys and types of the option tables of the
  repository's doc/dbus-api.md; when the design's contract
  (shared/design/dbus-api.md) is beside the source tree, every key it names is
  in doc/dbus-api.md with the same type (the repository may add keys);
- every data/examples/*.tunnel parses with GLib's GKeyFile (the daemon's
  parser), holds one [Tunnel] with [Session] / [Session NAME] sections or one
  [Listener], and uses only documented keys with values of their syntax;
- data/l2tpbusd.conf parses, and shows every key of l2tpbusd.conf(5),
  commented out, in [Daemon];
- every relative link ([text](path)) of doc/*.md and of the README files in
  the tree names a file or folder inside the tree, so a clone can follow
  them all. Paths in backquotes that name a file of the tree (`service/...`,
  `tests/...`) but do not exist are listed as notes, not failures: a page
  may name what a change under way adds.
"""

import glob
import os
import re
import shutil
import subprocess
import sys


# Top-level folders whose paths a page may name in backquotes.
TREE_FOLDERS = ("service", "tests", "data", "doc", "dbus", "polkit", "plugin", "po", "tools")
LINK = re.compile(r"(?<!\\)\[[^\]]*\]\(([^)\s]+)\)")
QUOTED_PATH = re.compile(r"`((?:%s)/[^`\s]*)`" % "|".join(TREE_FOLDERS))


def markdown_pages(root):
    """doc/*.md and every README* of the tree, build folders left out."""
    pages = sorted(glob.glob(os.path.join(root, "doc", "*.md")))
    for folder, folders, files in os.walk(root):
        # Hidden folders and build directories (meson leaves meson-private).
        folders[:] = sorted(d for d in folders if not d.startswith(".") and
                            not os.path.isdir(os.path.join(folder, d, "meson-private")))
        pages += [os.path.join(folder, f) for f in sorted(files) if f.startswith("README")]
    return sorted(set(pages))


def prose_lines(path):
    """(line number, text) of a Markdown page outside fenced code blocks."""
    fenced = False
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if line.lstrip().startswith("```"):
                fenced = not fenced
                continue
            if not fenced:
                yield number, line


def check_links(root):
    """Failures for relative links that leave the tree or name nothing, and
    notes for backquoted tree paths that name nothing."""
    failures, notes = [], []
    tree = os.path.realpath(root)
    for page in markdown_pages(root):
        shown = os.path.relpath(page, root)
        for number, line in prose_lines(page):
            for target in LINK.findall(line):
                if re.match(r"[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
                    continue  # https:, mailto:, an anchor in the same page
                path = os.path.realpath(os.path.join(os.path.dirname(page),
                                                     target.split("#", 1)[0]))
                if path != tree and not path.startswith(tree + os.sep):
                    failures.append(f"{shown}:{number}: link {target} leaves the tree")
                elif not (os.path.exists(path) or glob.glob(path)):
                    failures.append(f"{shown}:{number}: link {target} names nothing in the tree")
            for quoted in QUOTED_PATH.findall(line):
                pattern = re.sub(r"<[^>]*>", "*", quoted.rstrip(".,;:"))
                if not glob.glob(os.path.join(root, pattern)):
                    notes.append(f"{shown}:{number}: `{quoted}` is not in the tree (yet)")
    return failures, notes

SECTIONS = {"[TUNNEL] SECTION": "Tunnel", "[SESSION] SECTION": "Session",
            "[LISTENER] SECTION": "Listener", "[DAEMON] SECTION": "Daemon"}
DESIGN_TABLES = {"Tunnel options": "Tunnel", "Session options": "Session",
                 "Listener options": "Listener"}


def man_keys(path):
    """{section: {key: dbus type or None}} from the .TP entries of a page."""
    keys, section = {}, None
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    for i, line in enumerate(lines):
        if line.startswith(".SH"):
            title = line[3:].strip().strip('"')
            section = SECTIONS.get(title)
            continue
        if section is None or i == 0 or lines[i - 1] != ".TP":
            continue
        m = re.match(r'^\.BI (?:\\%)?([A-Za-z0-9]+)= ', line)
        if m:
            body = lines[i + 1] if i + 1 < len(lines) else ""
            t = re.match(r"D-Bus type \\fB([a-z]+)\\fR", body)
            keys.setdefault(section, {})[m.group(1)] = t.group(1) if t else None
    return keys


def design_keys(path):
    """{section: {key: dbus type}} from the option tables of dbus-api.md."""
    tables, section = {}, None
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("#"):
                title = line.lstrip("#").strip()
                section = next((v for k, v in DESIGN_TABLES.items() if title.startswith(k)), None)
                continue
            if section is None or not line.startswith("|"):
                continue
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if len(cells) < 2 or cells[0] in ("key", "") or set(cells[0]) <= set("-"):
                continue
            for key in re.split(r"[,/]", cells[0]):
                key = key.strip()
                if key:
                    tables.setdefault(section, {})[key] = cells[1] or None
    # "Retransmit*" and typeless rows of [Listener] stand for the tunnel keys.
    listener = tables.get("Listener", {})
    for key in list(listener):
        if key.endswith("*"):
            del listener[key]
            for tunnel_key, t in tables.get("Tunnel", {}).items():
                if key[:-1] in tunnel_key:
                    listener[tunnel_key] = t
        elif listener[key] is None:
            listener[key] = tables.get("Tunnel", {}).get(key)
    return tables


def check_value(key, dbus_type, value, hex_keys):
    if dbus_type == "b":
        return value in ("true", "false") or "a boolean is true or false"
    if dbus_type == "u":
        return (re.fullmatch(r"[0-9]+", value) is not None and int(value) < 2**32) or \
            "an unsigned is decimal digits"
    if dbus_type == "as":
        items = value.split(";")
        if items and items[-1] == "":
            items.pop()
        return (bool(items) and all(items)) or "a list is strings separated by ;"
    if dbus_type == "ay" and key in hex_keys:
        return re.fullmatch(r"([0-9a-fA-F]{8}){1,2}", value) is not None or \
            "a cookie is 8 or 16 hex digits"
    return bool(value) or "empty value"


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    root = sys.argv[1]
    failures = []
    notes = []

    pages = sorted(glob.glob(os.path.join(root, "data", "man", "*.[0-9]")))
    if len(pages) != 4:
        failures.append(f"expected 4 man pages in data/man, found {len(pages)}")
    if shutil.which("groff") is None:
        print("FAIL: groff is missing (Debian package groff-base)")
        return 1
    for page in pages:
        name, section = os.path.basename(page).rsplit(".", 1)
        with open(page, encoding="utf-8") as f:
            first = f.readline().split()
        if first[:3] != [".TH", name.upper(), section]:
            failures.append(f"{page}: .TH {' '.join(first[1:3])}, expected {name.upper()} {section}")
        render = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-z", page],
                                capture_output=True, text=True, check=False)
        if render.returncode != 0 or render.stderr.strip():
            failures.append(f"{page}: groff -ww:\n{render.stderr.strip()}")

    tunnel_page = os.path.join(root, "data", "man", "l2tpbus.tunnel.5")
    documented = man_keys(tunnel_page)
    for section in ("Tunnel", "Session", "Listener"):
        if not documented.get(section):
            failures.append(f"{tunnel_page}: no keys found for [{section}]")
        for key, t in documented.get(section, {}).items():
            if t is None:
                failures.append(f"{tunnel_page}: [{section}] {key}= states no D-Bus type")
    reference = os.path.join(root, "doc", "dbus-api.md")
    tables = design_keys(reference)
    for section in ("Tunnel", "Session", "Listener"):
        want, got = tables.get(section, {}), documented.get(section, {})
        for key in sorted(set(want) - set(got)):
            failures.append(f"{tunnel_page}: [{section}] {key}= of doc/dbus-api.md is not documented")
        for key in sorted(set(got) - set(want)):
            failures.append(f"{tunnel_page}: [{section}] {key}= is not in doc/dbus-api.md")
        for key in sorted(set(got) & set(want)):
            if want[key] and got[key] != want[key]:
                failures.append(f"{tunnel_page}: [{section}] {key}= type {got[key]}, "
                                f"doc/dbus-api.md says {want[key]}")
    design = os.path.join(os.path.dirname(os.path.abspath(root)), "shared", "design", "dbus-api.md")
    if os.path.exists(design):
        contract = design_keys(design)
        for section in ("Tunnel", "Session", "Listener"):
            want, got = contract.get(section, {}), tables.get(section, {})
            for key in sorted(set(want) - set(got)):
                failures.append(f"{reference}: [{section}] {key} of the design's contract is missing")
            for key in sorted(set(got) & set(want)):
                if want[key] and got[key] != want[key]:
                    failures.append(f"{reference}: [{section}] {key} type {got[key]}, "
                                    f"the design's contract says {want[key]}")
        notes.append(f"doc/dbus-api.md compared with the contract in {design}")
    else:
        notes.append(f"{design} not found: doc/dbus-api.md not compared with the design")

    try:
        from gi.repository import GLib
    except ImportError as error:
        print(f"FAIL: {error} (Debian package python3-gi)")
        return 1

    def load(path):
        keyfile = GLib.KeyFile()
        try:
            keyfile.load_from_file(path, GLib.KeyFileFlags.NONE)
        except GLib.Error as error:
            failures.append(f"{path}: GKeyFile: {error.message}")
            return None
        return keyfile

    hex_keys = {"Cookie", "PeerCookie"}
    examples = sorted(glob.glob(os.path.join(root, "data", "examples", "*.tunnel")))
    if len(examples) < 3:
        failures.append(f"expected 3 examples in data/examples, found {len(examples)}")
    for path in examples:
        keyfile = load(path)
        if keyfile is None:
            continue
        groups = keyfile.get_groups()[0]
        kinds = ["Session" if re.fullmatch(r"Session( \S.*)?", g) else g for g in groups]
        if kinds.count("Tunnel") + kinds.count("Listener") != 1 or \
                (kinds.count("Listener") and len(kinds) != 1) or \
                any(k not in ("Tunnel", "Session", "Listener") for k in kinds) or \
                (kinds.count("Tunnel") and kinds[0] != "Tunnel"):
            failures.append(f"{path}: sections {groups}: expected [Tunnel] then [Session] / "
                            "[Session NAME] sections, or one [Listener]")
            continue
        for group, kind in zip(groups, kinds):
            for key in keyfile.get_keys(group)[0]:
                t = documented.get(kind, {}).get(key)
                if t is None:
                    failures.append(f"{path}: [{group}] {key}= is not a documented {kind} key")
                    continue
                ok = check_value(key, t, keyfile.get_value(group, key), hex_keys)
                if ok is not True:
                    failures.append(f"{path}: [{group}] {key}={keyfile.get_value(group, key)}: {ok}")

    conf = os.path.join(root, "data", "l2tpbusd.conf")
    daemon_keys = man_keys(os.path.join(root, "data", "man", "l2tpbusd.conf.5")).get("Daemon", {})
    keyfile = load(conf)
    if keyfile is not None:
        if keyfile.get_groups()[0] != ["Daemon"]:
            failures.append(f"{conf}: sections {keyfile.get_groups()[0]}, expected [Daemon]")
        with open(conf, encoding="utf-8") as f:
            shown = re.findall(r"^#([A-Za-z]+)=", f.read(), re.M)
        if sorted(shown) != sorted(daemon_keys) or not shown:
            failures.append(f"{conf}: shows keys {sorted(shown)}, l2tpbusd.conf(5) documents "
                            f"{sorted(daemon_keys)}")

    link_failures, link_notes = check_links(root)
    failures += link_failures
    notes += link_notes

    for line in failures:
        print(f"FAIL: {line}")
    for line in notes:
        print(f"note: {line}")
    if failures:
        return 1
    print(f"ok: {len(pages)} man pages without warnings; "
          + ", ".join(f"{len(documented.get(s, {}))} {s} keys" for s in ("Tunnel", "Session", "Listener"))
          + f"; {len(examples)} examples and l2tpbusd.conf use them correctly"
          + f"; the links of {len(markdown_pages(root))} Markdown pages resolve")
    return 0


if __name__ == "__main__":
    sys.exit(main())
