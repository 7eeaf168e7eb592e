"""`python -m analysis ...`: see :mod:`analysis.cli`."""

import sys

try:
    from analysis.cli import main

    code = main()
except KeyboardInterrupt:  # Ctrl-C before or after a command's own handling: one line, status 130
    print("interrupted", file=sys.stderr)
    code = 130
sys.exit(code)
