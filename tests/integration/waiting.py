"""Waiting on GLib: pump the default main context (D-Bus signals arrive
there) and poll a condition with a deadline."""

import time
from typing import Any, Callable

from gi.repository import GLib


def pump(seconds=0.0):
    """Dispatches pending GLib events (signals) for about `seconds`."""
    context = GLib.MainContext.default()
    deadline = time.monotonic() + seconds
    while True:
        while context.iteration(False):
            pass
        if time.monotonic() >= deadline:
            return
        time.sleep(0.01)


def wait_until(predicate: Callable[[], Any], timeout: float, what: str, interval=0.02):
    """Returns predicate()'s first true value; fails the test after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        pump()
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f'timed out after {timeout:g} s waiting for {what}')
        time.sleep(interval)
