"""What tests in the VM import: hosts and links (netns.py), and the D-Bus
constants, clients and assertions of tests/integration/conftest.py, loaded
as the module l2tpbus_integration so that both suites share one copy.

    from vmtest import MANAGER, ROOT_PATH, TUNNEL, wait_until
"""

import importlib.util
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent.parent

from netns import Host, Link, Network, sh  # noqa: E402,F401


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
