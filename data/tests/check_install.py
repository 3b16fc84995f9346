#!/usr/bin/python3
"""`meson install` puts the data files where Debian's dbus, polkit, systemd,
man and gettext look for them.

  check_install.py MESON BUILD_DIR SOURCE_ROOT

Installs BUILD_DIR into BUILD_DIR/staging (--destdir, --no-rebuild) and checks
each file's path, derived here from the configured prefix and sysconfdir:
with --prefix=/usr these are the absolute paths Debian's packages read
(/usr/share/dbus-1/system.d, /usr/share/dbus-1/system-services,
/usr/share/polkit-1/actions, systemd's system unit directory from
pkg-config, /etc/l2tpbus, /usr/share/man, /usr/share/locale, bash-completion's
and zsh's directories, l2tpctl in bindir). Static files
must be installed unchanged, configured ones must start
<prefix>/<sbindir>/l2tpbusd, and the installed policy must carry the
translations. The NetworkManager plugin's .name file must name installed
files: the service and auth dialog (executable), the editor plugin, and
beside it both GTK editor libraries, each exporting only its factory.
"""

import configparser
import filecmp
import json
import os
import re
import shutil
import subprocess
import sys


def option_values(meson, build_dir):
    out = subprocess.run([meson, "introspect", "--buildoptions", build_dir], capture_output=True,
                         text=True, check=True).stdout
    return {o["name"]: o["value"] for o in json.loads(out)}


def absolute(prefix, directory):
    return directory if os.path.isabs(directory) else os.path.join(prefix, directory)


def systemd_unit_dir(prefix):
    """systemd's own directory when systemd.pc was built for this prefix."""
    if shutil.which("pkg-config"):
        def var(name):
            r = subprocess.run(["pkg-config", f"--variable={name}", "systemd"],
                               capture_output=True, text=True, check=False)
            return r.stdout.strip() if r.returncode == 0 else ""
        if var("prefix") == prefix and var("systemdsystemunitdir"):
            return var("systemdsystemunitdir")
    return os.path.join(prefix, "lib", "systemd", "system")


EDITOR_LIBRARIES = ("libnm-vpn-plugin-l2tpbus-editor.so", "libnm-gtk4-vpn-plugin-l2tpbus-editor.so")
EDITOR_FACTORY = "nm_vpn_editor_factory_l2tpbus"


def exported_functions(path):
    out = subprocess.run(["nm", "--dynamic", "--defined-only", path], capture_output=True,
                         text=True, check=True).stdout
    return sorted(line.split()[-1] for line in out.splitlines() if line.split()[1:2] == ["T"])


def checked_name_files(staging, failures):
    """The installed .name file and what it names; the paths it checked."""
    found = [os.path.join(d, f) for d, _, files in os.walk(staging) for f in files
             if f == "nm-l2tpbus-service.name"]
    if len(found) != 1:
        failures.append(f"expected one installed nm-l2tpbus-service.name, found {found}")
        return []
    name = configparser.ConfigParser(interpolation=None)
    name.read(found[0], encoding="utf-8")
    staged = lambda path: os.path.join(staging, path.lstrip("/"))  # noqa: E731
    named = {
        "program": (name.get("VPN Connection", "program", fallback=""), True),
        "plugin": (name.get("libnm", "plugin", fallback=""), False),
        "auth-dialog": (name.get("GNOME", "auth-dialog", fallback=""), True),
        "properties": (name.get("GNOME", "properties", fallback=""), False),
    }
    checked = [found[0][len(staging):]]
    for key, (path, executable) in named.items():
        if not os.path.isabs(path) or not os.path.isfile(staged(path)):
            failures.append(f"nm-l2tpbus-service.name: {key}={path!r} is not an installed file")
        elif executable and not os.access(staged(path), os.X_OK):
            failures.append(f"nm-l2tpbus-service.name: {key}={path} is not executable")
        else:
            checked.append(path)
    for key in ("supports-external-ui-mode", "supports-hints"):
        if name.get("GNOME", key, fallback="") != "true":
            failures.append(f"nm-l2tpbus-service.name: [GNOME] {key} is not true")
    plugin = named["plugin"][0]
    for library in EDITOR_LIBRARIES:
        path = os.path.join(os.path.dirname(plugin), library)
        if not os.path.isfile(staged(path)):
            failures.append(f"{path} not installed beside the editor plugin")
            continue
        exported = exported_functions(staged(path))
        if exported != [EDITOR_FACTORY]:
            failures.append(f"{path} exports {exported}, expected only {EDITOR_FACTORY}")
        checked.append(path)
    return checked


def main():
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    meson, build_dir, source = sys.argv[1:]
    options = option_values(meson, build_dir)
    prefix = options["prefix"]
    datadir = absolute(prefix, options["datadir"])
    sysconfdir = absolute(prefix, options["sysconfdir"])
    mandir = absolute(prefix, options["mandir"])
    localedir = absolute(prefix, options["localedir"])
    daemon = os.path.join(absolute(prefix, options["sbindir"]), "l2tpbusd")
    client = os.path.join(absolute(prefix, options["bindir"]), "l2tpctl")
    unitdir = systemd_unit_dir(prefix)
    failures = []

    if prefix == "/usr":
        # Where Debian's packages look, spelled out rather than derived.
        debian = {"datadir": "/usr/share", "sysconfdir": "/etc", "mandir": "/usr/share/man",
                  "localedir": "/usr/share/locale"}
        actual = {"datadir": datadir, "sysconfdir": sysconfdir, "mandir": mandir,
                  "localedir": localedir}
        for name, want in debian.items():
            if actual[name] != want:
                failures.append(f"--prefix=/usr gives {name} {actual[name]}, Debian uses {want}")
        if unitdir not in ("/lib/systemd/system", "/usr/lib/systemd/system"):
            failures.append(f"systemd unit directory {unitdir} is not systemd's")

    static = {  # installed path: source file, unchanged
        f"{datadir}/dbus-1/system.d/org.l2tpbus1.conf": "data/org.l2tpbus1.conf",
        f"{sysconfdir}/l2tpbus/l2tpbusd.conf": "data/l2tpbusd.conf",
        f"{mandir}/man8/l2tpbusd.8": "data/man/l2tpbusd.8",
        f"{mandir}/man5/l2tpbus.tunnel.5": "data/man/l2tpbus.tunnel.5",
        f"{mandir}/man5/l2tpbusd.conf.5": "data/man/l2tpbusd.conf.5",
        f"{mandir}/man1/l2tpctl.1": "data/man/l2tpctl.1",
        # l2tpctl's completion: bash-completion's directory under the prefix, zsh's
        # vendor functions (Debian's zsh reads /usr/share/zsh/vendor-completions)
        f"{datadir}/bash-completion/completions/l2tpctl": "ctl/completion/l2tpctl.bash",
        f"{datadir}/zsh/vendor-completions/_l2tpctl": "ctl/completion/_l2tpctl",
    }
    for example in sorted(os.listdir(os.path.join(source, "data", "examples"))):
        static[f"{datadir}/doc/l2tpbus/examples/{example}"] = f"data/examples/{example}"
    configured = {  # installed path: the line that must start with the daemon
        f"{datadir}/dbus-1/system-services/org.l2tpbus1.service": "Exec=",
        f"{unitdir}/l2tpbusd.service": "ExecStart=",
    }
    policy = f"{datadir}/polkit-1/actions/org.l2tpbus1.policy"
    with open(os.path.join(source, "po", "LINGUAS"), encoding="utf-8") as f:
        languages = [w for line in f if not line.lstrip().startswith("#") for w in line.split()]
    catalogs = [f"{localedir}/{lang}/LC_MESSAGES/l2tpbus.mo" for lang in languages]

    staging = os.path.join(build_dir, "staging")
    shutil.rmtree(staging, ignore_errors=True)
    install = subprocess.run([meson, "install", "-C", build_dir, "--no-rebuild", "--quiet",
                              "--destdir", staging], capture_output=True, text=True, check=False)
    if install.returncode != 0:
        print(f"FAIL: meson install:\n{install.stdout}{install.stderr}")
        return 1

    def staged(path):
        return os.path.join(staging, path.lstrip("/"))

    for path, origin in static.items():
        if not os.path.isfile(staged(path)):
            failures.append(f"{path} not installed")
        elif not filecmp.cmp(staged(path), os.path.join(source, origin), shallow=False):
            failures.append(f"{path} differs from {origin}")
    for path, key in configured.items():
        if not os.path.isfile(staged(path)):
            failures.append(f"{path} not installed")
            continue
        with open(staged(path), encoding="utf-8") as f:
            text = f.read()
        lines = [line for line in text.splitlines() if line.startswith(key)]
        if len(lines) != 1 or not lines[0][len(key):].split()[:1] == [daemon]:
            failures.append(f"{path}: {lines}, expected one {key}{daemon}")
        # @name@ is meson's; systemd's own @system-service and the like stay
        left = re.findall(r"@[A-Za-z_]+@", text)
        if left:
            failures.append(f"{path}: something was left unsubstituted: {left}")
    if not os.access(staged(client), os.X_OK):
        failures.append(f"{client} not installed")
    if not os.path.isfile(staged(policy)):
        failures.append(f"{policy} not installed")
    else:
        with open(staged(policy), encoding="utf-8") as f:
            text = f.read()
        for lang in languages:
            if f'xml:lang="{lang}"' not in text:
                failures.append(f"{policy} has no {lang} translations")
    for path in catalogs:
        if not os.path.isfile(staged(path)):
            failures.append(f"{path} not installed")

    name_files = checked_name_files(staging, failures)

    for line in failures:
        print(f"FAIL: {line}")
    if failures:
        return 1
    for path in sorted(list(static) + list(configured) + [policy] + catalogs + name_files):
        print(f"ok: {path}")
    print(f"ok: {len(static) + len(configured) + 1 + len(catalogs) + len(name_files)} files "
          "where they belong "
          f"(prefix {prefix}, sysconfdir {sysconfdir}, units in {unitdir})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
