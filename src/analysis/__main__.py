"""``python -m analysis`` is the same as the ``runeco`` command."""

import sys

from analysis.cli import main

if __name__ == "__main__":
    sys.exit(main())
