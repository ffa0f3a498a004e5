"""Where the shared real data sets are, and a mark for tests that need them.

``shared/`` sits beside the main checkout; a worktree is one level deeper, so the
nearest ancestor that has ``shared/data`` wins. Without it (a lone clone), the
tests that read real data skip and say why.
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = next(
    (p / "shared" / "data" for p in ROOT.parents if (p / "shared" / "data").is_dir()),
    ROOT.parent / "shared" / "data",
)
REES46 = DATA / "rees46-multicategory-oct2019" / "2019-Oct-first17k.csv"
"""The first 17k rows of the REES46 clickstream (see SOURCE.md beside it)."""
PAYLOADS = DATA / "tracardi-track-payloads" / "payloads"
"""The Tracardi documentation's tracker payloads (see SOURCE.md beside them)."""

needs_data = pytest.mark.skipif(
    not DATA.is_dir(), reason=f"the shared data directory {DATA} is absent"
)
