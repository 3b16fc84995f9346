#!/usr/bin/python3
"""The systemd unit and the D-Bus activation file, as configured by the build.

  check_unit.py UNIT ACTIVATION_FILE SBINDIR

- both parse (systemd's syntax: sections, Key=Value, # and ; comments);
  nothing is left unsubstituted (@...@);
- the unit is a Type=dbus service for org.l2tpbus1 started from
  SBINDIR/l2tpbusd, reloaded with SIGHUP, with the sandbox of the issue; every
  capability it keeps is explained in a comment; /dev/ppp stays usable
  (no PrivateDevices=; the device allow list names char 108:0); /run is not
  writable, only the state directory /run/l2tpbusd (kept across stops) is;
- the activation file names the same bus name, program and unit;
- `systemd-analyze verify` accepts the unit without a word (with a stub
  l2tpbusd when the daemon is not installed at SBINDIR yet).
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile


def parse(path, failures):
    """{section: [(key, value), ...]} and the comment text."""
    sections, comments, current = {}, [], None
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    pending = ""
    for number, raw in enumerate(lines, 1):
        line = pending + raw.strip()
        pending = ""
        if line.endswith("\\"):
            pending = line[:-1] + " "
            continue
        if not line:
            continue
        if line[0] in "#;":
            comments.append(line[1:])
            continue
        if "@" in line and re.search(r"@[A-Za-z_]+@", line):
            failures.append(f"{path}:{number}: unsubstituted: {line}")
        if line.startswith("["):
            if not line.endswith("]"):
                failures.append(f"{path}:{number}: bad section header: {line}")
                continue
            current = line[1:-1]
            sections.setdefault(current, [])
            continue
        if "=" not in line or current is None:
            failures.append(f"{path}:{number}: not Key=Value in a section: {line}")
            continue
        key, value = line.split("=", 1)
        sections[current].append((key.strip(), value.strip()))
    return sections, " ".join(comments)


def values(sections, section, key):
    return [v for k, v in sections.get(section, []) if k == key]


def one(sections, section, key, failures, path):
    found = values(sections, section, key)
    if len(found) != 1:
        failures.append(f"{path}: [{section}] {key}= given {len(found)} times, expected once")
        return None
    return found[0]


def expect(sections, section, key, wanted, failures, path):
    got = one(sections, section, key, failures, path)
    if got is not None and got != wanted:
        failures.append(f"{path}: [{section}] {key}={got}, expected {wanted}")


def main():
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    unit_path, activation_path, sbindir = sys.argv[1:]
    daemon = os.path.join(sbindir, "l2tpbusd")
    failures = []

    unit, comments = parse(unit_path, failures)
    for key in ("Description", "Documentation"):
        one(unit, "Unit", key, failures, unit_path)
    service = {
        "Type": "dbus",
        "BusName": "org.l2tpbus1",
        "ExecReload": "/bin/kill -HUP $MAINPID",
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "PrivateTmp": "yes",
        "RuntimeDirectory": "l2tpbusd",
        "RuntimeDirectoryMode": "0700",
        "RuntimeDirectoryPreserve": "yes",
        "NoNewPrivileges": "yes",
        "UMask": "0077",
        "SystemCallFilter": "@system-service",
        "ProtectProc": "invisible",
        "PrivateIPC": "yes",
        "DevicePolicy": "closed",
        "DeviceAllow": "/dev/char/108:0 rw",
    }
    for key, wanted in service.items():
        expect(unit, "Service", key, wanted, failures, unit_path)
    exec_start = one(unit, "Service", "ExecStart", failures, unit_path) or ""
    if exec_start.split()[:1] != [daemon]:
        failures.append(f"{unit_path}: ExecStart={exec_start}, expected {daemon} ...")
    capabilities = set(" ".join(values(unit, "Service", "CapabilityBoundingSet")).split())
    if not {"CAP_NET_ADMIN", "CAP_NET_BIND_SERVICE"} <= capabilities:
        failures.append(f"{unit_path}: CapabilityBoundingSet lacks CAP_NET_ADMIN or "
                        "CAP_NET_BIND_SERVICE (netlink, pppd, port 1701)")
    for capability in sorted(capabilities):
        if capability not in comments:
            failures.append(f"{unit_path}: {capability} is kept but no comment says why")
    writable = " ".join(values(unit, "Service", "ReadWritePaths")).split()
    if "-/etc/ppp" not in writable:
        failures.append(f"{unit_path}: ReadWritePaths lacks -/etc/ppp (pppd writes there)")
    for path in writable:
        if path.lstrip("-") in ("/run", "/run/", "/var/run", "/"):
            failures.append(f"{unit_path}: ReadWritePaths={path} makes all of /run writable")
    if values(unit, "Service", "PrivateDevices"):
        failures.append(f"{unit_path}: PrivateDevices= would take /dev/ppp from pppd")
    if not values(unit, "Service", "RestrictFileSystems"):
        failures.append(f"{unit_path}: no RestrictFileSystems=")
    expect(unit, "Install", "WantedBy", "multi-user.target", failures, unit_path)

    activation, _ = parse(activation_path, failures)
    section = "D-BUS Service"
    expect(activation, section, "Name", "org.l2tpbus1", failures, activation_path)
    expect(activation, section, "User", "root", failures, activation_path)
    expect(activation, section, "SystemdService", os.path.basename(unit_path), failures,
           activation_path)
    exec_line = one(activation, section, "Exec", failures, activation_path) or ""
    if exec_line != exec_start:
        failures.append(f"{activation_path}: Exec={exec_line} differs from the unit's "
                        f"ExecStart={exec_start}")

    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        print("note: systemd-analyze is missing (Debian package systemd): verify not run")
    else:
        with tempfile.TemporaryDirectory(prefix="l2tpbus-unit-") as tmp:
            copy = os.path.join(tmp, os.path.basename(unit_path))
            with open(unit_path, encoding="utf-8") as f:
                text = f.read()
            if not os.access(daemon, os.X_OK):
                stub = os.path.join(tmp, "l2tpbusd")
                with open(stub, "w", encoding="utf-8") as f:
                    f.write("#!/bin/sh\nexit 0\n")
                os.chmod(stub, 0o755)
                text = text.replace(daemon, stub)
                print(f"note: {daemon} is not installed: verifying with a stub in its place")
            with open(copy, "w", encoding="utf-8") as f:
                f.write(text)
            # --man=no: the pages of Documentation= are installed with the unit,
            # not before it; the man-pages test checks them.
            verify = subprocess.run([analyze, "verify", "--man=no", copy], capture_output=True,
                                    text=True, check=False)
            said = (verify.stdout + verify.stderr).strip()
            if verify.returncode != 0 or said:
                failures.append(f"systemd-analyze verify (exit {verify.returncode}):\n{said}")
            else:
                print("ok: systemd-analyze verify accepts the unit")

    for line in failures:
        print(f"FAIL: {line}")
    if failures:
        return 1
    print(f"ok: {os.path.basename(unit_path)} and {os.path.basename(activation_path)} "
          f"start {exec_start} as org.l2tpbus1")
    return 0


if __name__ == "__main__":
    sys.exit(main())
