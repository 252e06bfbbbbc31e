"""How a backend does on the spec v3 dev sets: accuracy, aligned pairs dropped, unaligned kept, by kind and vendor.

The code lives in devtools/devsets/devset_v3_report.py (tests import it from there); `--help` shows how to run it.
"""

import sys
from pathlib import Path

if __package__ in (None, ""):  # `python scripts/X.py`: the checkout on the path, as `python -m scripts.X` has it
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from devtools.devsets.devset_v3_report import main

if __name__ == "__main__":
    sys.exit(main())
