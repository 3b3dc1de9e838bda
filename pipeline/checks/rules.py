"""Rules of design §5 that both a single record (validation) and the merged tables (status) apply, written once.

Each works on plain numbers and on polars expressions alike, so that the record check and the table column can
never disagree.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

from pipeline.contract import layout

DECREASING = "減少"
# Whether the actual falls short of the target, by the indicator's 方向 (増加 = higher is better, the default).
_SHORT_OF: dict[str, Callable[[Any, Any], Any]] = {"増加": operator.lt, DECREASING: operator.gt}


def short_of(direction: str | None, actual: Any, target: Any) -> Any:
    """``actual < target`` (増加) or ``actual > target`` (減少): for numbers a bool, for polars expressions an
    expression; 方向 is never guessed, a blank one is the template's default 増加."""
    return _SHORT_OF[direction if direction in _SHORT_OF else layout.DIRECTIONS[0]](actual, target)
