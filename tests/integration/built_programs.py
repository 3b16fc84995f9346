"""The programs under test: meson test names each in an environment
variable; run by hand, the newest build under build/ is taken."""

import os
import pathlib

import pytest

REPO = pathlib.Path(__file__).resolve().parent.parent.parent


def built_program(variable, *patterns):
    """The executable `variable` names, else the newest match of `patterns`
    (globs relative to the source root); fails the test when there is none."""
    path = os.environ.get(variable)
    if not path:
        candidates = sorted((match for pattern in patterns for match in REPO.glob(pattern)),
                            key=lambda p: p.stat().st_mtime)
        path = str(candidates[-1]) if candidates else ''
    if not path or not os.access(path, os.X_OK):
        pytest.fail(f'set {variable} to the program under test (meson test does); '
                    f'found none at {os.environ.get(variable)!r} or {", ".join(patterns)}')
    return path
