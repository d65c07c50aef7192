"""`python -m nbsecrets`: the `nbsecrets` command where the script is not on PATH."""

import sys

from .adapters.cli import main

if __name__ == "__main__":
    sys.exit(main())
