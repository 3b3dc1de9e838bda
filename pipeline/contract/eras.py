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


# The letter of each era as a 時点 is typed in a cell (H27, R3).
ERA_LETTERS = {"令和": "R", "平成": "H", "昭和": "S"}


def short_fiscal_year(year: int) -> str:
    """The fiscal year as a division types a 時点: ``H27``, ``R1``; before 昭和, the western year."""
    for era, first in ERAS:
        if year >= first:
            return f"{ERA_LETTERS[era]}{year - first + 1}"
    return str(year)
