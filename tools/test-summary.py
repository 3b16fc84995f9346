"""Prints one closing line for the whole suite: 'N passed, N failed'.

Counts GoogleTest and pytest cases from the JUnit files they leave in the
build directory (a VM group's pytest run writes its file into a folder shared
with the VM), each other meson test (the data checks) once from meson's test
log, and one result per fuzz target. A VM group that did not boot left no
JUnit file and counts as one failure.
"""
import json
import pathlib
import sys
import xml.etree.ElementTree as ElementTree


def junit_counts(build_dir):
    """Cases in the JUnit files, and the names (stems) of those files."""
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


def plain_test_counts(build_dir, junit_stems):
    """meson tests without a JUnit file (the data checks, or a test that
    crashed before writing one): one case each."""
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
    passed, failed, skipped, stems = junit_counts(sys.argv[1])
    plain = plain_test_counts(sys.argv[1], stems)
    passed, failed, skipped = passed + plain[0], failed + plain[1], skipped + plain[2]
    fuzz_passed, fuzz_failed = fuzz_counts(sys.argv[2]) if len(sys.argv) > 2 else (0, 0)
    print(f"tests: {passed} passed, {failed} failed, {skipped} skipped; "
          f"fuzz targets: {fuzz_passed} passed, {fuzz_failed} failed")
    print(f"{passed + fuzz_passed} passed, {failed + fuzz_failed} failed, {skipped} skipped")


if __name__ == "__main__":
    main()
