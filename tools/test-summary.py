"""Prints the skipped tests, one line each ('skipped: NAME — reason'), then
one closing line for the whole suite: 'N passed, N failed, N skipped'.

Counts GoogleTest and pytest cases from the JUnit files they leave in the
build directory (a VM group's pytest run writes its file into a folder shared
with the VM), each other meson test (the data checks) once from meson's test
log, and one result per fuzz target. A VM group that did not boot left no
JUnit file and counts as one failure.
"""
import json
import pathlib
import re
import sys
import xml.etree.ElementTree as ElementTree


def skip_reason(element):
    """A skipped case's reason: pytest's message, or GoogleTest's without the
    'file:line' it starts with."""
    text = element.get("message") or element.text or ""
    lines = [line.strip() for line in text.splitlines()]
    lines = [line for line in lines if line and not re.fullmatch(r"\S+:\d+", line)]
    return " ".join(lines) or "no reason given"


def case_name(stem, case):
    """'kernel / TunnelSocketTest.Name' (GoogleTest), 'test_file.py::test_name' (pytest)."""
    classname, name = case.get("classname", ""), case.get("name", "")
    if stem.startswith("pytest-"):
        module, _, cls = classname.partition(".")
        return "::".join(part for part in (module + ".py", cls.replace(".", "::"), name) if part)
    return f"{stem} / {classname}.{name}"


def junit_counts(build_dir, skips):
    """Cases in the JUnit files, and the names (stems) of those files; each
    skipped case is added to skips as (name, reason)."""
    passed = failed = skipped = 0
    stems = set()
    for path in pathlib.Path(build_dir).rglob("*.xml"):
        if "meson-logs" in path.parts:
            continue  # meson's own JUnit file repeats the gtest cases
        try:
            root = ElementTree.parse(path).getroot()
        except ElementTree.ParseError:
            continue
        if root.tag != "testsuites":
            continue
        stems.add(path.stem)
        for case in root.iter("testcase"):
            if case.find("failure") is not None or case.find("error") is not None:
                failed += 1
            elif case.get("result") == "skipped" or case.find("skipped") is not None:
                skipped += 1
                element = case.find("skipped")
                skips.append((case_name(path.stem, case),
                               skip_reason(element) if element is not None else "no reason given"))
            else:
                passed += 1
    return passed, failed, skipped, stems


def junit_stem(meson_name):
    """The JUnit file a meson test leaves: 'wire.xml', 'pytest-api.xml',
    'pytest-vm_smoke.xml' (a VM group: all its files' cases in one file)."""
    short = meson_name.split(" / ")[-1]
    if short.startswith("integration-"):
        return "pytest-" + short[len("integration-"):].replace("-", "_")
    if short.startswith("vm-"):
        return "pytest-vm_" + short[len("vm-"):].replace("-", "_")
    return short


def plain_test_counts(build_dir, junit_stems, skips):
    """meson tests without a JUnit file (the data checks, or a test that
    crashed before writing one): one case each. A skipped one (exit 77) is
    added to skips with the last line it printed as its reason."""
    passed = failed = skipped = 0
    log = pathlib.Path(build_dir) / "meson-logs" / "testlog.json"
    if not log.exists():
        return 0, 0, 0
    for line in log.read_text().splitlines():
        test = json.loads(line)
        if junit_stem(test["name"]) in junit_stems:
            continue  # counted case by case from its JUnit file
        if test["result"] == "OK":
            passed += 1
        elif test["result"] == "SKIP":
            skipped += 1
            lines = [line.strip() for line in (test.get("stdout") or "").splitlines()]
            lines = [line for line in lines if line]
            skips.append((test["name"], lines[-1] if lines else "no reason given"))
        else:
            failed += 1
    return passed, failed, skipped


def fuzz_counts(results_file):
    passed = failed = 0
    path = pathlib.Path(results_file)
    if path.exists():
        for line in path.read_text().splitlines():
            if line.endswith(" passed"):
                passed += 1
            elif line.endswith(" failed"):
                failed += 1
    return passed, failed


def main():
    skips = []
    passed, failed, skipped, stems = junit_counts(sys.argv[1], skips)
    plain = plain_test_counts(sys.argv[1], stems, skips)
    passed, failed, skipped = passed + plain[0], failed + plain[1], skipped + plain[2]
    fuzz_passed, fuzz_failed = fuzz_counts(sys.argv[2]) if len(sys.argv) > 2 else (0, 0)
    for name, reason in sorted(skips):
        print(f"skipped: {name} — {reason}")
    print(f"tests: {passed} passed, {failed} failed, {skipped} skipped; "
          f"fuzz targets: {fuzz_passed} passed, {fuzz_failed} failed")
    print(f"{passed + fuzz_passed} passed, {failed + fuzz_failed} failed, {skipped} skipped")


if __name__ == "__main__":
    main()
