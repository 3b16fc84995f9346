#!/usr/bin/python3
"""The polkit policy: well-formed XML, valid against polkit's own DTD
(/usr/share/polkit-1/policyconfig-1.dtd, with xmllint), the actions and
defaults of dbus-api.md, and after the build's merge a translation of every
message for every language of po/LINGUAS.

  check_policy.py SOURCE_POLICY MERGED_POLICY LINGUAS
"""

import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

POLKIT_DTD = "/usr/share/polkit-1/policyconfig-1.dtd"

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

# dbus-api.md, "Authorization": action -> (allow_any, allow_inactive, allow_active)
ACTIONS = {
    "org.l2tpbus1.create-tunnel": ("auth_admin", "auth_admin", "auth_admin_keep"),
    "org.l2tpbus1.manage-tunnels": ("auth_admin", "auth_admin", "auth_admin_keep"),
    "org.l2tpbus1.listen": ("auth_admin", "auth_admin", "auth_admin"),
    "org.l2tpbus1.configure": ("auth_admin", "auth_admin", "auth_admin_keep"),
}
TEXTS = ("description", "message")


def load(path, failures):
    try:
        root = ET.parse(path).getroot()
    except (ET.ParseError, OSError) as error:
        failures.append(f"{path}: {error}")
        return None
    if root.tag != "policyconfig":
        failures.append(f"{path}: root element <{root.tag}>, expected <policyconfig>")
        return None
    with open(path, encoding="utf-8") as f:
        if "<!DOCTYPE policyconfig" not in f.read():
            failures.append(f"{path}: no policyconfig DOCTYPE")
    return root


def english(action, tag):
    texts = [e.text for e in action.findall(tag) if XML_LANG not in e.attrib]
    return texts[0].strip() if len(texts) == 1 and texts[0] else None


def check_actions(path, root, failures):
    found = {a.get("id"): a for a in root.findall("action")}
    if sorted(found) != sorted(ACTIONS):
        failures.append(f"{path}: actions {sorted(found)}, expected {sorted(ACTIONS)}")
    for action_id, expected in ACTIONS.items():
        action = found.get(action_id)
        if action is None:
            continue
        defaults = action.find("defaults")
        got = tuple((defaults.findtext(k) or "").strip() if defaults is not None else ""
                    for k in ("allow_any", "allow_inactive", "allow_active"))
        if got != expected:
            failures.append(f"{path}: {action_id} defaults {got}, expected {expected}")
        for tag in TEXTS:
            if english(action, tag) is None:
                failures.append(f"{path}: {action_id} needs exactly one English <{tag}>")
    return found


def main():
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    source_path, merged_path, linguas_path = sys.argv[1:]
    with open(linguas_path, encoding="utf-8") as f:
        languages = [w for line in f if not line.lstrip().startswith("#") for w in line.split()]
    failures = []

    source = load(source_path, failures)
    merged = load(merged_path, failures)
    if not os.path.exists(POLKIT_DTD) or shutil.which("xmllint") is None:
        failures.append(f"cannot validate: {POLKIT_DTD} or xmllint missing "
                        "(Debian packages polkitd, libxml2-utils)")
    else:
        for path in (source_path, merged_path):
            valid = subprocess.run(["xmllint", "--noout", "--nonet", "--dtdvalid", POLKIT_DTD, path],
                                   capture_output=True, text=True, check=False)
            if valid.returncode != 0:
                failures.append(f"{path} does not follow polkit's DTD:\n{valid.stderr.strip()}")
    if source is not None:
        source_actions = check_actions(source_path, source, failures)
        for action_id, action in source_actions.items():
            if any(XML_LANG in e.attrib for e in action):
                failures.append(f"{source_path}: {action_id}: translations belong in po/, "
                                "not in the source")
    if merged is not None:
        merged_actions = check_actions(merged_path, merged, failures)
        for action_id, action in merged_actions.items():
            if source is not None and action_id in source_actions:
                for tag in TEXTS:
                    if english(action, tag) != english(source_actions[action_id], tag):
                        failures.append(f"{merged_path}: {action_id} <{tag}> differs from the source")
            for tag in TEXTS:
                base = english(action, tag)
                by_language = {}
                for e in action.findall(tag):
                    if XML_LANG in e.attrib:
                        by_language.setdefault(e.attrib[XML_LANG], []).append((e.text or "").strip())
                for language in languages:
                    texts = by_language.get(language, [])
                    if len(texts) != 1 or not texts[0]:
                        failures.append(f"{merged_path}: {action_id} <{tag}> has "
                                        f"{len(texts)} {language} translations, expected 1")
                    elif texts[0] == base:
                        failures.append(f"{merged_path}: {action_id} <{tag}> [{language}] "
                                        "is the English text")

    for line in failures:
        print(f"FAIL: {line}")
    if failures:
        return 1
    print(f"ok: valid against {POLKIT_DTD}; {len(ACTIONS)} actions with the defaults of dbus-api.md; "
          f"description and message translated to {', '.join(languages)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
