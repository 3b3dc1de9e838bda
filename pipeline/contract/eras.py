"""Japanese eras: the one way a fiscal year is written everywhere (design §7), 平成27年度（2015年度）."""

from __future__ import annotations

# The first western year of each era, newest first.
ERAS = (("令和", 2019), ("平成", 1989), ("昭和", 1926))


def fiscal_year_label(year: int | None) -> str:
    """The fiscal year in 和暦 and 西暦, e.g. ``令和7年度（2025年度）``, ``令和元年度（2019年度）``."""
    if year is None:
        return "年度不明"
    for era, first in ERAS:
        if year >= first:
            n = year - first + 1
            return f"{era}{'元' if n == 1 else n}年度（{year}年度）"
    return f"{year}年度"
