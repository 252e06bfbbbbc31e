"""Build the spec v3 dev sets: (question, chunk, label) pairs on the forms spec v3 added, labelled by construction.

The code lives in devtools/devsets/devset_v3.py (tests import it from there); `--help` shows how to run it.
"""

import sys
from pathlib import Path

if __package__ in (None, ""):  # `python scripts/X.py`: the checkout on the path, as `python -m scripts.X` has it
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from devtools.devsets.devset_v3 import main

if __name__ == "__main__":
    sys.exit(main())
