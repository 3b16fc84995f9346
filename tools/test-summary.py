"""Prints one closing line for the whole suite: 'N passed, N failed'.

Counts GoogleTest cases from the JUnit files meson's gtest protocol leaves in
the build directory, plus one result per fuzz target.
"""
import pathlib
import sys
import xml.etree.ElementTree as ElementTree


def gtest_counts(build_dir):
    passed = failed = skipped = 0
    for path in pathlib.Path(build_dir).rglob("*.xml"):
        if "meson-logs" in path.parts:
            continue  # meson's own JUnit file repeats the gtest cases
        try:
            root = ElementTree.parse(path).getroot()
        except ElementTree.ParseError:
            continue
        if root.tag != "testsuites":
            continue
        for case in root.iter("testcase"):
            if case.find("failure") is not None:
                failed += 1
            elif case.get("result") == "skipped" or case.find("skipped") is not None:
                skipped += 1
            else:
                passed += 1
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
    passed, failed, skipped = gtest_counts(sys.argv[1])
    fuzz_passed, fuzz_failed = fuzz_counts(sys.argv[2]) if len(sys.argv) > 2 else (0, 0)
    print(f"unit tests: {passed} passed, {failed} failed, {skipped} skipped; "
          f"fuzz targets: {fuzz_passed} passed, {fuzz_failed} failed")
    print(f"{passed + fuzz_passed} passed, {failed + fuzz_failed} failed, {skipped} skipped")


if __name__ == "__main__":
    main()
