"""The division master list: CSV (UTF-8 or Shift_JIS) and XLSX, with clear errors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from pipeline.checks.validate import DivisionKey
from pipeline.intake.roster import MasterError, load_master


def test_csv_in_utf8_with_bom_and_in_shift_jis(tmp_path: Path) -> None:
    text = "所属コード,部局名,所属名\n１１０１,総務部,情報政策課\n,福祉保健部,福祉保健課\n\n"
    for encoding in ("utf-8-sig", "cp932"):
        path = tmp_path / f"m-{encoding}.csv"
        path.write_bytes(text.encode(encoding))
        assert load_master(path).divisions == (
            DivisionKey("1101", "総務部", "情報政策課"),
            DivisionKey(None, "福祉保健部", "福祉保健課"),
        )


def test_xlsx_master(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["所属名", "部局名", "所属コード"])
    sheet.append(["情報政策課", "総務部", 1101])
    path = tmp_path / "m.xlsx"
    book.save(path)
    assert load_master(path).divisions == (DivisionKey("1101", "総務部", "情報政策課"),)


def test_master_knows_by_code_else_by_names() -> None:
    from pipeline.checks.validate import Master

    master = Master((DivisionKey("1101", "総務部", "情報政策課"), DivisionKey(None, "福祉保健部", "福祉保健課")))
    assert master.knows(DivisionKey("1101", "総務部", "旧名称課"))
    assert not master.knows(DivisionKey("9999", "総務部", "情報政策課"))
    assert master.knows(DivisionKey(None, "福祉保健部", "福祉保健課"))
    assert master.knows(DivisionKey("2101", "福祉保健部", "福祉保健課"))


def test_numeric_code_matches_without_its_leading_zeros() -> None:
    from pipeline.checks.validate import Master

    master = Master((DivisionKey("0101", "総務部", "情報政策課"), DivisionKey("A01", "福祉保健部", "福祉保健課")))
    assert master.find(DivisionKey("101", "総務部", "情報政策課")) == DivisionKey("0101", "総務部", "情報政策課")
    assert master.find(DivisionKey("00101", "総務部", "情報政策課")) == DivisionKey("0101", "総務部", "情報政策課")
    assert master.find(DivisionKey("1010", "総務部", "情報政策課")) is None
    assert master.find(DivisionKey("A1", "福祉保健部", "福祉保健課")) is None  # not a number: exact only


def test_file_whose_code_lost_its_leading_zero_is_known_and_takes_the_masters_code(
    make_book: Callable[..., Path], seed: dict[str, Any], tmp_path: Path
) -> None:
    from pipeline.api import validate_files
    from pipeline.checks.validate import Master

    seed["division_code"] = 101  # typed 0101 into a General cell: Excel keeps the number 101
    book = make_book(seed, "seed.xlsx")
    master = Master((DivisionKey("0101", "総務部", "情報政策課"),))
    [result] = validate_files([book], master=master)
    assert result.issues == ()
    assert result.record["division_code"] == "0101"  # type: ignore[index]
    [other] = validate_files([book], master=Master((DivisionKey("0102", "総務部", "情報政策課"),)))
    assert [i.code for i in other.errors] == ["unknown-division"]


def test_master_without_its_columns_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_text("コード,名前\n1,a\n", encoding="utf-8")
    with pytest.raises(MasterError, match="見出しに 部局名・所属名 がありません"):
        load_master(path)


def test_a_roster_with_a_code_twice_or_a_division_twice_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "名簿.csv"
    path.write_text(
        "所属コード,部局名,所属名\n1102,総務部,人事企画課\n01102,総務部,財政課\n1104,総務部,税務課\n1105,総務部,税務課\n",
        encoding="utf-8",
    )
    with pytest.raises(MasterError) as caught:
        load_master(path)
    assert str(caught.value) == (
        f"所属名簿 {path} に重複があります: 所属コード 1102（総務部 人事企画課、総務部 財政課）、総務部 税務課（2 行）。"
        "所属コードと所属名が 1 行に 1 所属ずつになるように直してください。"
    )


def _scan(divisions: tuple[DivisionKey, ...], key: DivisionKey) -> DivisionKey | None:
    """The lookup as a plain scan of the rows, in order: by code when both have one, else by names."""
    from pipeline.model import code_key

    for known in divisions:
        if key.code and known.code:
            if code_key(key.code) == code_key(known.code):
                return known
        elif (known.department, known.division) == (key.department, key.division):
            return known
    return None


_CODES = st.sampled_from([None, "", "0101", "101", "0", "000", "１０１", "A-1", "a-1"])
_NAMES = st.sampled_from(["総務部", "福祉保健部"])
_DIVISIONS = st.sampled_from(["情報政策課", "人事課", "福祉保健課"])
_KEYS = st.builds(lambda c, d, v: DivisionKey(c or None, d, v), _CODES, _NAMES, _DIVISIONS)


@settings(max_examples=300, deadline=None)
@given(st.lists(_KEYS, max_size=8).map(tuple), _KEYS)
def test_the_indexed_lookup_finds_what_a_scan_of_the_rows_finds(divisions: tuple[DivisionKey, ...], key: Any) -> None:
    from pipeline.model import Master

    assert Master(divisions).find(key) == _scan(divisions, key)


def test_a_master_goes_to_a_worker_without_its_index_and_works_there() -> None:
    import pickle

    from pipeline.model import Master

    master = Master(tuple(DivisionKey(f"{i:04d}", "総務部", f"課{i}") for i in range(5000)))
    assert master.find(DivisionKey("4999", "総務部", "課4999")) == master.divisions[-1]
    assert "index" in master.__dict__  # built once, kept
    sent = pickle.loads(pickle.dumps(master))
    assert "index" not in sent.__dict__ and sent == master
    assert sent.find(DivisionKey("0042", "x", "y")) == master.divisions[42]
