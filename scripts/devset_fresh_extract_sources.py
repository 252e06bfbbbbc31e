"""Cut the real tables behind the fresh measurement set (tests/data/devset_fresh) from git copies of their repositories.

The code lives in devtools/devsets/fresh_sources.py (tests import it from there); `--help` shows how to run it.
"""

import sys
from pathlib import Path

if __package__ in (None, ""):  # `python scripts/X.py`: the checkout on the path, as `python -m scripts.X` has it
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from devtools.devsets.fresh_sources import main

if __name__ == "__main__":
    sys.exit(main())
