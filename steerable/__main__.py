"""``python -m steerable`` (and the ``steerable`` console script): see :mod:`steerable.experiments.cli`."""

from __future__ import annotations

import sys

from steerable.experiments.cli import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
