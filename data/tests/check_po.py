#!/usr/bin/python3
"""Translations complete and correct: every message that xgettext finds today
in the files of po/POTFILES has a translation, neither missing nor fuzzy, in
each language of po/LINGUAS, and each .po file compiles with msgfmt --check.

  check_po.py SOURCE_ROOT
"""

import os
import subprocess
import sys
import tempfile


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    root = sys.argv[1]
    po_dir = os.path.join(root, "po")
    with open(os.path.join(po_dir, "LINGUAS"), encoding="utf-8") as f:
        languages = [w for line in f if not line.lstrip().startswith("#") for w in line.split()]
    failures = []
    with tempfile.TemporaryDirectory(prefix="l2tpbus-po-") as tmp:
        pot = os.path.join(tmp, "l2tpbus.pot")
        extract = subprocess.run(
            # The keywords of meson's "glib" preset (po/meson.build), so
            # that _() and N_() messages are held to account too.
            ["xgettext", "--from-code=UTF-8", "--add-comments", "--package-name=l2tpbus",
             "--keyword=_", "--keyword=N_", "--keyword=C_:1c,2", "--keyword=NC_:1c,2",
             "--keyword=g_dngettext:2,3",
             "--msgid-bugs-address=", "--directory", root,
             "--files-from", os.path.join(po_dir, "POTFILES"), "--output", pot],
            capture_output=True, text=True, check=False)
        if extract.returncode != 0 or not os.path.exists(pot):
            print(f"FAIL: xgettext: {extract.stderr.strip()}")
            return 1
        with open(pot, encoding="utf-8") as f:
            count = f.read().count("\nmsgid ") - 1  # less the header
        if count <= 0:
            failures.append("xgettext found no messages (polkit ITS rules missing? "
                            "Debian package polkitd installs them)")
        for language in languages:
            po = os.path.join(po_dir, f"{language}.po")
            check = subprocess.run(["msgfmt", "--check", "--statistics", "-o", os.devnull, po],
                                   capture_output=True, text=True, check=False)
            if check.returncode != 0:
                failures.append(f"{po}: msgfmt --check:\n{check.stderr.strip()}")
            elif "untranslated" in check.stderr or "fuzzy" in check.stderr:
                failures.append(f"{po}: {check.stderr.strip()}")
            compare = subprocess.run(["msgcmp", po, pot], capture_output=True, text=True,
                                     check=False)
            if compare.returncode != 0:
                failures.append(f"{po} lacks translations of the current messages:\n"
                                f"{compare.stderr.strip()}")
    for line in failures:
        print(f"FAIL: {line}")
    if failures:
        return 1
    print(f"ok: {count} messages, translated in {', '.join(languages)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
