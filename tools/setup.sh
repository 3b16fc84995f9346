#!/usr/bin/env bash
# Installs every Debian package that building, testing and running l2tpbus
# needs. Idempotent: installs only what is missing, runs apt-get update only
# then. Safe to run on every test or demo run.
set -euo pipefail

packages=(
  # build
  meson ninja-build g++ pkg-config libssl-dev libsystemd-dev libnl-genl-3-dev libglib2.0-dev
  # tests: GoogleTest, independent vectors (Debian's python3 with hashlib/hmac)
  libgtest-dev libgmock-dev python3
  # fuzzing and sanitizer builds
  clang-19 libclang-rt-19-dev
  # polkit client and resolver; their tests run a private dbus-daemon with a
  # polkit double on Debian's python3-dbus / python3-gi (python3-dbusmock)
  libsdbus-c++-dev libc-ares-dev dbus python3-dbusmock python3-dbus python3-gi
  # data files: msgfmt and polkit's ITS rules (po/, polkit/), systemd.pc and
  # systemd-analyze (the unit); the suite "data" runs dbus-daemon, groff,
  # xmllint and Debian's python3 with python3-dbus and python3-gi
  gettext polkitd systemd dbus-daemon groff-base libxml2-utils python3-dbus python3-gi
  # integration tests (tests/integration): pytest under Debian's python3, xl2tpd
  # (and the pppd it starts) as an independent peer, setpriv and unshare
  python3-pytest python3-dbus python3-gi python3-dbusmock dbus xl2tpd ppp util-linux
  # D-Bus adaptors generated from dbus/*.xml at build time (service/generated/dbus)
  libsdbus-c++-bin
  # the VM that gives the tests a kernel with L2TP and PPP (tests/vm): Debian's
  # kernel package is downloaded into a cache by tests/vm itself; the group
  # vm-sandbox boots systemd there (systemctl, journalctl) and enters the
  # daemon's mount namespace (nsenter, util-linux)
  qemu-system-x86 busybox-static cpio kmod iproute2 iputils-ping systemd util-linux
  # our pppd plugin (service/ppp) builds against Debian's pppd headers
  ppp-dev
  # bench/run's third LNS (bench/README.md): l2tpns, run in its own network
  # namespace with its own tun device
  l2tpns
  # the NetworkManager VPN plugin (plugin/), and NetworkManager itself for its
  # VM test; NetworkManager-l2tp (its own xl2tpd and pppd), whose activation
  # time that test prints beside ours
  libnm-dev network-manager network-manager-l2tp
  # L2TP/IPsec (tests/vm/ipsec_peers.py): strongSwan's charon, one per network
  # namespace in the VM (/usr/lib/ipsec/charon), driven over VICI, whose plugin
  # ships with swanctl in strongswan-swanctl; charon-systemd, the charon
  # l2tpbusd talks to on a systemd machine; the openssl plugin for 3DES and
  # the ECP groups in the IKEv1 proposals Windows and Apple clients make;
  # tcpdump to look at the ESP by hand
  strongswan-charon strongswan-swanctl charon-systemd libstrongswan-standard-plugins tcpdump
  # NetworkManager-l2tp's IPsec (tests/vm/test_nm.py): it starts its charon
  # with strongSwan's `ipsec` command
  strongswan-starter
  # l2tpctl (ctl/): CLI11 for its arguments, fmt for its output, nlohmann's
  # JSON, bash-completion's pkg-config file for where its completion goes;
  # its tests check the JSON against doc/l2tpctl.schema.json (jsonschema)
  # and run its bash completion; pkttyagent comes with polkitd
  libcli11-dev libfmt-dev nlohmann-json3-dev bash-completion python3-jsonschema
  # the desktop (plugin/editor-gtk, plugin/auth-dialog): the editor on GTK 3
  # with libnma and on GTK 4 with libnma-gtk4, the password dialog with
  # libsecret; gtk4-builder-tool makes the GTK 4 UI from the GTK 3 one. Their
  # tests run under Xvfb (xauth for xvfb-run), drive the widgets from Python
  # through GObject introspection (gir1.2-*; cairo for GTK 3's screenshots),
  # read accessible names over AT-SPI (at-spi2-core) and keep saved secrets
  # in a private gnome-keyring
  libnma-dev libnma-gtk4-dev libgtk-3-dev libgtk-4-dev libsecret-1-dev libgtk-4-bin libgtk-3-bin
  xvfb xauth at-spi2-core gnome-keyring gir1.2-nm-1.0 gir1.2-gtk-3.0 gir1.2-gtk-4.0
  gir1.2-secret-1 gir1.2-atspi-2.0 gir1.2-nma-1.0 gir1.2-nma4-1.0 python3-gi-cairo python3-cairo
)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$package")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "setup: the packages it needs are installed"
  exit 0
fi

as_root=()
if [[ $(id -u) -ne 0 ]]; then
  as_root=(sudo)
fi
# One line per step; apt's own output goes to a log, whose path each step
# names and whose end a failed step shows.
log=${TMPDIR:-/tmp}/l2tpbus-setup.log
run_logged() {  # what, command...
  local what=$1
  shift
  echo "setup: $what (log: $log)"
  if ! "$@" >>"$log" 2>&1; then
    echo "setup: $what failed; the end of $log:" >&2
    tail -n 30 "$log" >&2
    exit 1
  fi
}
: >"$log"
echo "missing: ${missing[*]}" >>"$log"
run_logged "updating the package lists" "${as_root[@]}" apt-get update -qq
run_logged "installing ${#missing[@]} packages" "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
