"""Fiscal years written the one way (contract/eras): the label in outputs and the short form a 時点 is typed in."""

from __future__ import annotations

import pytest

from pipeline.checks.normalise import AsOf, parse_as_of
from pipeline.contract.eras import fiscal_year_label, short_fiscal_year


@pytest.mark.parametrize(
    ("year", "label", "short"),
    [
        (2015, "平成27年度（2015年度）", "H27"),
        (2019, "令和元年度（2019年度）", "R1"),
        (2025, "令和7年度（2025年度）", "R7"),
        (1988, "昭和63年度（1988年度）", "S63"),
        (1900, "1900年度", "1900"),
    ],
)
def test_fiscal_year_label_and_short_form(year: int, label: str, short: str) -> None:
    assert (fiscal_year_label(year), short_fiscal_year(year)) == (label, short)


@pytest.mark.parametrize("year", [1989, 2015, 2018, 2019, 2030])
def test_the_short_form_reads_back_as_the_same_fiscal_year(year: int) -> None:
    parsed = parse_as_of(short_fiscal_year(year))
    assert isinstance(parsed, AsOf) and parsed.fiscal_year == year
