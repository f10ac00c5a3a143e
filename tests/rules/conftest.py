"""Makes the shared builders of this folder (``rules_builders``) importable by its tests.

The suite imports test files in importlib mode, without packages, so a
sibling module is found only when its folder is on ``sys.path``.
"""

from __future__ import annotations

import sys
from pathlib import Path

_HERE = str(Path(__file__).parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
