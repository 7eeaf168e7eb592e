"""Run every layer of the test suite, report each, fail at the end if any failed.

`make test` calls this script. A failing layer does not stop the later ones, so
one run shows the state of the unit tests, the notebooks (nbval) and the
pipeline with `verify`. Exit status: 0 when every layer passed, 1 otherwise.
The last line is the plain summary "N passed, N failed" over the layers.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable

#: (layer name, commands run in order; the layer fails at its first failing command)
LAYERS: list[tuple[str, list[list[str]]]] = [
    ("unit", [[PY, "-m", "pytest", "-n", "2", "-p", "no:cacheprovider", "--doctest-modules",
               "--ignore=analysis/__main__.py", "tests", "analysis"]]),
    ("notebooks", [[PY, "-m", "pytest", "-p", "no:cacheprovider", "--nbval", "--nbval-current-env",
                    "--nbval-sanitize-with", "tests/nbval_sanitize.cfg",
                    # a kernel start can be slow on a loaded machine (nbval's default is 60 s)
                    "--nbval-kernel-startup-timeout", "300", "notebooks"]]),
    ("pipeline", [[PY, "-m", "analysis", "reproduce"], [PY, "-m", "analysis", "verify"]]),
]


def main(argv: list[str]) -> int:
    wanted = argv or [name for name, _ in LAYERS]
    unknown = sorted(set(wanted) - {name for name, _ in LAYERS})
    if unknown:
        print(f"unknown layer(s) {', '.join(unknown)}; layers: {', '.join(n for n, _ in LAYERS)}",
              file=sys.stderr)
        return 2
    results: list[tuple[str, int, float]] = []
    for name, commands in LAYERS:
        if name not in wanted:
            continue
        print(f"\n=== layer {name} ===", flush=True)
        start = time.monotonic()
        code = 0
        for cmd in commands:
            code = subprocess.call(cmd, cwd=ROOT)
            if code != 0:
                break
        results.append((name, code, time.monotonic() - start))
    print("\n=== summary of the layers ===")
    for name, code, seconds in results:
        print(f"  {name:10} {'passed' if code == 0 else f'FAILED (exit {code})'}  ({seconds:.0f} s)")
    failed = sum(1 for _, code, _ in results if code != 0)
    print(f"layers: {len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
