"""Adds up the JUnit XML reports of every suite into one closing line.

Exit status is non-zero when any test failed or errored, when a suite wrote
no report (it crashed before collecting), or when no test ran at all.
"""

import sys
import xml.etree.ElementTree as ET
from pathlib import Path


def main(results_dir: str) -> int:
    reports = sorted(Path(results_dir).glob("*.xml"))
    passed = failed = skipped = 0
    for report in reports:
        root = ET.parse(report).getroot()
        # pytest writes one <testsuite> per report, Vitest one per test file.
        suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
        tests = sum(int(suite.get("tests", 0)) for suite in suites)
        bad = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
        skip = sum(int(suite.get("skipped", 0)) for suite in suites)
        failed += bad
        skipped += skip
        passed += tests - bad - skip
        print(f"    {report.stem:<24} {tests - bad - skip:>4} passed {bad:>3} failed {skip:>3} skipped")
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    if not reports or passed == 0:
        print("no test ran", file=sys.stderr)
        return 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
