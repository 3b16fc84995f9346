#!/usr/bin/python3
"""The sandbox of the built systemd unit, as systemd rates it.

  check_security.py UNIT [THRESHOLD]

Runs `systemd-analyze security --offline=yes` on UNIT and fails when the
overall exposure is above THRESHOLD (default 2.5; l2tpbusd.service was 4.5
before issue 11, systemd-networkd.service on Debian 12 is 2.8). Prints the
whole table, so that a failure shows which setting went.
"""

import re
import shutil
import subprocess
import sys


def main():
    if len(sys.argv) not in (2, 3):
        print(__doc__, file=sys.stderr)
        return 2
    unit = sys.argv[1]
    threshold = float(sys.argv[2]) if len(sys.argv) == 3 else 2.5
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        print("FAIL: systemd-analyze is missing (Debian package systemd)")
        return 1
    # --threshold=100: the exit status is ours to decide, from the number.
    result = subprocess.run([analyze, "security", "--offline=yes", "--threshold=100",
                             "--no-pager", unit], capture_output=True, text=True, check=False)
    output = result.stdout + result.stderr
    print(output)
    found = re.search(r"Overall exposure level for \S+: (\d+(?:\.\d+)?)", output)
    if result.returncode != 0 or found is None:
        print(f"FAIL: systemd-analyze security exited {result.returncode} without a score")
        return 1
    score = float(found.group(1))
    if score > threshold:
        print(f"FAIL: exposure {score} is above {threshold}")
        return 1
    print(f"ok: exposure {score} (at most {threshold})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
