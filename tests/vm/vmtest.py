"""What tests in the VM import: hosts and links (netns.py), and the D-Bus
constants, clients and assertions of tests/integration/conftest.py, loaded
as the module l2tpbus_integration so that both suites share one copy.

    from vmtest import MANAGER, ROOT_PATH, TUNNEL, wait_until
"""

import importlib.util
import json
import pathlib
import sys
import textwrap

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent.parent

from netns import Host, Link, Network, RootNamespace, sh  # noqa: E402,F401


def _integration():
    """tests/integration/conftest.py as a plain module (pytest never loads it
    as a conftest here: only tests/vm is collected)."""
    name = 'l2tpbus_integration'
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            name, REPO / 'tests' / 'integration' / 'conftest.py')
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


it = _integration()
# the same constants, clients and assertions as the integration tests
from l2tpbus_integration import (  # noqa: E402,F401
    ACTION_CREATE, ACTION_LISTEN, ACTION_MANAGE, BUS_NAME, LISTENER, MANAGER, ROOT_PATH,
    SESSION, TUNNEL, DBusError, Stack, Xl2tpdPeers, assert_error, in_network_namespace, pids_of,
    pump, wait_until)
# for conftest.py: a fixture (l2tpbusd's path, from $L2TPBUSD) and a hook (the
# daemon, polkit and bus logs attached to a failing test's report)
from l2tpbus_integration import l2tpbusd_path, pytest_runtest_makereport  # noqa: E402,F401


def build_dir(l2tpbusd_path) -> pathlib.Path:
    """The meson build directory holding the l2tpbusd under test."""
    path = pathlib.Path(l2tpbusd_path).resolve().parent
    while not (path / 'meson-private').is_dir():
        assert path != path.parent, f'{l2tpbusd_path} is not in a meson build directory'
        path = path.parent
    return path


def build_options(build) -> dict:
    options = json.loads((build / 'meson-info' / 'intro-buildoptions.json').read_text())
    return {o['name']: o['value'] for o in options}


def pool_lns_beside_root(host, make_daemon, state_dir, l2tpbusd_path, *, root_if, lns_if,
                         link_lns, link_prefix, lns_address, pool, require_authentication,
                         extra_args=(), listener=None):
    """Our LNS in `host`'s namespace, a veth away from the root namespace
    (`root_if` there, left for the caller to configure), listening on
    link_lns:1701 with a PPP address pool; returns its stack. `extra_args`
    go to l2tpbusd, `listener` (more Listen options) to its listener."""
    sh('ip', 'link', 'add', root_if, 'type', 'veth', 'peer', 'name', lns_if, 'netns', host.netns)
    host.ip('addr', 'add', f'{link_lns}/{link_prefix}', 'dev', lns_if)
    host.ip('link', 'set', lns_if, 'up')
    plugin = build_dir(l2tpbusd_path) / 'service' / 'ppp' / 'l2tpbus-pppd.so'
    stack = make_daemon(host, extra_args=['--state-dir', str(state_dir),
                                          '--ppp-plugin', str(plugin), *extra_args])
    stack.root.listen({'Local': f'{link_lns}:1701', 'HostName': 'l2tpbus-lns',
                       'PppLocalAddress': lns_address,
                       'PppAddressPool': f'{pool[0]}-{pool[1]}',
                       'PppRequireAuthentication': require_authentication,
                       **(listener or {})})
    return stack


# xl2tpd as a peer (the fixture xl2tpd takes these two texts; @SECRETS@ and
# @OPTIONS@ are its files)

def xl2tpd_lns_config(address, pool, local_ip, hostname='xl2tpd-lns'):
    """(xl2tpd.conf, pppd options) of an LNS on address:1701 handing out
    `pool` (first, last) without authentication, offering DNS 192.0.2.99."""
    return f'''\
        [global]
        port = 1701
        listen-addr = {address}
        auth file = @SECRETS@
        [lns default]
        ip range = {pool[0]}-{pool[1]}
        local ip = {local_ip}
        require authentication = no
        refuse pap = no
        hostname = {hostname}
        pppoptfile = @OPTIONS@
        ''', '''\
        noauth
        ms-dns 192.0.2.99
        nodefaultroute
        lcp-echo-interval 30
        lcp-echo-failure 4
        '''


def xl2tpd_lac_config(local, lns, name='lns', ppp_options=''):
    """(xl2tpd.conf, pppd options) of a LAC on local:1701 dialling `lns`
    (an address, or address:port) at once, once; `ppp_options` are added."""
    return f'''\
        [global]
        port = 1701
        listen-addr = {local}
        auth file = @SECRETS@
        [lac {name}]
        lns = {lns}
        hostname = xl2tpd-lac
        autodial = yes
        redial = no
        require authentication = no
        pppoptfile = @OPTIONS@
        ''', textwrap.dedent('''\
        noauth
        nodefaultroute
        noipdefault
        ''') + ppp_options
