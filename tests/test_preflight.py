"""Tests for the preflight: normal workbooks pass, every hostile kind is one clear rejection, nothing raises."""

from __future__ import annotations

import io
import os
import random
import re
import time
import tracemalloc
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.utils import get_column_letter

from pipeline.intake.grid import Limits
from pipeline.intake.preflight import Preflight, preflight
from pipeline.model import Code
from tests import hostile


def make_base() -> bytes:
    """A small valid workbook shaped like a 工程表: two Japanese-named sheets of text and numbers."""
    workbook = openpyxl.Workbook()
    basic = workbook.active
    assert basic is not None
    basic.title = "基本情報"
    basic["A1"], basic["B1"] = "所属コード", "K001"
    basic["A2"], basic["B2"] = "所属名", "行政課"
    policy = workbook.create_sheet("政策1")
    for row in range(1, 80):
        for column in range(1, 25):
            policy.cell(row, column, f"指標{row}-{column}" if column % 3 else row * column)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def base() -> bytes:
    return make_base()


@pytest.fixture(scope="module")
def corpus(base: bytes) -> dict[str, bytes]:
    """Every hostile kind built once from the base."""
    return {key: kind.build(base) for key, kind in hostile.KINDS.items()}


def codes(result: Preflight) -> list[str]:
    return [issue.code for issue in result.issues]


def rezip(data: bytes, *, compression: int = zipfile.ZIP_DEFLATED, streamed: bool = False) -> bytes:
    """The same parts in a new zip: stored instead of deflated, or with data descriptors as streaming writers do."""
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        parts = [(info.filename, source.read(info)) for info in source.infolist()]
    buffer = io.BytesIO()

    class Unseekable(io.RawIOBase):
        def writable(self) -> bool:
            return True

        def write(self, chunk: bytes) -> int:  # type: ignore[override]
            return buffer.write(chunk)

    target = Unseekable() if streamed else buffer
    with zipfile.ZipFile(target, "w", compression=compression) as archive:
        for name, content in parts:
            if streamed:
                with archive.open(name, "w") as stream:
                    stream.write(content)
            else:
                archive.writestr(name, content)
    return buffer.getvalue()


# -- normal workbooks ------------------------------------------------------------


def test_base_workbook_passes_with_save_time_and_sheet_names(base: bytes) -> None:
    core = zipfile.ZipFile(io.BytesIO(base)).read("docProps/core.xml")
    modified = re.search(rb"<dcterms:modified[^>]*>([^<]+)<", core)
    assert modified is not None
    result = preflight(base)
    assert result == Preflight(issues=(), saved_at=modified.group(1).decode(), sheet_names=("基本情報", "政策1"))
    assert result.errors == ()


@pytest.mark.parametrize("case", ["stored", "data-descriptors"])
def test_same_workbook_zipped_differently_passes(base: bytes, case: str) -> None:
    data = rezip(base, compression=zipfile.ZIP_STORED) if case == "stored" else rezip(base, streamed=True)
    result = preflight(data)
    assert codes(result) == []
    assert result.sheet_names == ("基本情報", "政策1")


def test_large_dense_sheet_inside_the_limits_passes(base: bytes) -> None:
    # ~2.5 MB of sheet XML: big enough for the compression-ratio check to apply, ending exactly at the limits.
    rows = b"".join(
        f'<row r="{row}">'.encode()
        + b"".join(
            f'<c r="{get_column_letter(column)}{row}"><v>{row * column}</v></c>'.encode() for column in range(1, 31)
        )
        + b"</row>"
        for row in range(1, 3000)
    )
    rows += b'<row r="10000"><c r="IV10000"><v>1</v></c></row>'
    result = preflight(hostile.with_rows(base, rows, dimension="A1:IV10000"))
    assert codes(result) == []


def test_saved_at_is_none_when_core_properties_are_missing_or_garbage(base: bytes) -> None:
    assert preflight(hostile.with_part(base, "docProps/core.xml", None)).saved_at is None
    assert preflight(hostile.with_part(base, "docProps/core.xml", b"<not xml")).saved_at is None
    garbage_time = b'<cp:coreProperties xmlns:cp="x" xmlns:dcterms="http://purl.org/dc/terms/"><dcterms:modified>yesterday</dcterms:modified></cp:coreProperties>'
    result = preflight(hostile.with_part(base, "docProps/core.xml", garbage_time))
    assert (result.saved_at, codes(result)) == (None, [])


# Markup that made the old tag scans backtrack or rescan (quadratic: hours for a 1 MB sheet) is read in one pass.
_RESCAN_CASES = {
    # attribute text that never reaches an '=' (900 KB in one <c> without r, so the slow path reads its attributes)
    "attribute-run": (b'<row r="1"><c ' + b"a" * 900_000 + b"><v>1</v></c></row>", []),
    "row-attribute-run": (b"<row " + b"b" * 900_000 + b'><c r="A1"><v>1</v></c></row>', []),
    # 200,000 cell tags whose quote never closes before the next tag: refused, not skipped
    "unclosed-quotes": (b'<row r="1"><c r="A1"><v>1</v></c>' + b'<c "' * 200_000 + b"</row>", ["grid-out-of-bounds"]),
    # error cells among them: the cell notes scan the same way
    "error-cells-and-runs": (
        b'<row r="1"><c r="A1" t="e"><v>#N/A</v></c><c t="e" ' + b"c" * 900_000 + b"/></row>",
        [],
    ),
}


@pytest.mark.parametrize("key", list(_RESCAN_CASES))
def test_hostile_markup_is_scanned_in_one_pass(base: bytes, key: str) -> None:
    rows, expected = _RESCAN_CASES[key]
    data = hostile.with_rows(base, rows)
    started = time.perf_counter()
    result = preflight(data)
    assert time.perf_counter() - started < 2.0  # the old scans took minutes to hours here
    assert codes(result) == expected


def test_unreadable_shared_strings_tag_is_refused(base: bytes) -> None:
    parts = hostile._parts(base)
    path = hostile._shared_strings_path(parts)
    parts[path] = re.sub(rb"<sst\b", b'<sst x="<" count="4294967295"', parts[path], count=1)
    [issue] = preflight(hostile._zip(parts)).issues
    assert (issue.code, issue.message) == (
        "bad-shared-strings",
        '文字列データが壊れています（記述「<sst x="<" count="429496…」を読めません）。Excel で開いて保存し直してください',
    )


def test_unreadable_cell_tag_is_refused_with_what_was_found(base: bytes) -> None:
    result = preflight(hostile.with_rows(base, b'<row r="1"><c r="A1" x="<c r=\'XFD1048576\'>"><v>1</v></c></row>'))
    [issue] = result.issues
    assert (issue.code, issue.sheet, issue.message) == (
        "grid-out-of-bounds",
        "基本情報",
        "シート「基本情報」のセル範囲が大きすぎるか Excel の上限を超えています"
        '（記述「<c r="A1" x="<c r=\'XFD10…」を読めません）。不要な行・列を削除して保存し直してください',
    )


@pytest.mark.parametrize(
    ("sheet_xml", "expected"),
    [
        # the word in a cell's text is not a <dimension> (it was taken for one before)
        (b'<row r="1"><c r="A1" t="inlineStr"><is><t>dimension ref="A1:XFE1048577"></t></is></c></row>', []),
        (b'<x:dimension ref="A1:XFE1048577"/><row r="1"><c r="A1"><v>1</v></c></row>', ["grid-out-of-bounds"]),
        # a prefix too long to tell from text: refused rather than guessed
        (b"<" + b"p" * 300 + b':dimension ref="A1"/><row r="1"><c r="A1"><v>1</v></c></row>', ["grid-out-of-bounds"]),
    ],
)
def test_dimension_is_read_only_from_tags(base: bytes, sheet_xml: bytes, expected: list[str]) -> None:
    assert codes(preflight(hostile.with_rows(base, sheet_xml))) == expected


# -- hostile files ---------------------------------------------------------------


@pytest.mark.parametrize("key", list(hostile.KINDS))
def test_hostile_kind_gives_exactly_its_code_quickly(corpus: dict[str, bytes], key: str) -> None:
    kind = hostile.KINDS[key]
    data = corpus[key]
    started = time.perf_counter()
    result = preflight(data)
    elapsed = time.perf_counter() - started
    assert codes(result) == ([kind.code] if kind.code else [])
    assert elapsed < 1.0
    if kind.code is not None and result.issues[0].severity == "error":
        assert result.errors == result.issues


def test_filled_template_passes_and_every_kind_built_from_it_gives_its_code(
    make_book: Callable[..., Path], seed: dict[str, Any]
) -> None:
    filled = make_book(seed).read_bytes()
    result = preflight(filled)
    assert codes(result) == []
    assert result.saved_at is not None
    assert len(result.sheet_names) >= 2
    for key, kind in hostile.KINDS.items():
        assert (key, codes(preflight(kind.build(filled)))) == (key, [kind.code] if kind.code else [])


def test_hostile_corpus_is_many_kinds_written_fast_and_small(base: bytes, tmp_path: Path) -> None:
    started = time.perf_counter()
    written = hostile.write(tmp_path, base)
    assert time.perf_counter() - started < 5.0
    assert len(written) >= 25
    assert len({code for _, code in written}) >= 15
    for name, code in written:
        path = tmp_path / name
        assert path.stat().st_size < 2 * 1024 * 1024
        assert codes(preflight(path.read_bytes())) == ([code] if code else [])


def test_shift_jis_name_is_written_as_raw_bytes(base: bytes, tmp_path: Path) -> None:
    hostile.write(tmp_path, base, ["shift-jis-name"])
    assert [os.fsencode(path.name) for path in tmp_path.iterdir()] == ["工程表.xlsx".encode("cp932")]


def test_generator_is_deterministic(base: bytes) -> None:
    for key in ("cells-a1-and-xfd1048576", "whitespace-bomb", "legacy-xls", "encrypted", "random-bytes"):
        assert hostile.build(key, base) == hostile.build(key, base)


def test_bombs_carry_true_checksums() -> None:
    # The bombs are assembled without inflating them; check the assembly on a small one.
    payload, crc, size = hostile._deflate_repeated(b"<head>", b"  <x/>" * 1000, 7, b"</head>")
    content = zlib.decompress(payload, -zlib.MAX_WBITS)
    assert (len(content), zlib.crc32(content)) == (size, crc)
    assert content == b"<head>" + b"  <x/>" * 7000 + b"</head>"


@pytest.mark.parametrize("key", ["declared-4k-inflates-256m", "whitespace-bomb", "dense-cells-bomb"])
def test_bombs_are_stopped_in_bounded_memory_and_time(base: bytes, key: str) -> None:
    data = hostile.build(key, base)
    tracemalloc.start()
    started = time.perf_counter()
    try:
        result = preflight(data)
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert codes(result) == ["zip-bomb"]
    assert elapsed < 1.0
    assert peak < 8 * 1024 * 1024


def test_out_of_grid_issue_names_the_sheet_and_the_last_cell(base: bytes) -> None:
    (issue,) = preflight(hostile.build("cells-a1-and-xfd1048576", base)).issues
    assert (issue.sheet, issue.code, issue.severity) == ("基本情報", "grid-out-of-bounds", "blocking")
    assert "最終セル XFD1048576" in issue.message
    assert issue.message.startswith("シート「基本情報」")


def patch_central_directory(data: bytes, offset: int, value: bytes) -> bytes:
    """The zip with a field of its first central-directory entry overwritten."""
    at = data.index(b"PK\x01\x02") + offset
    return data[:at] + value + data[at + len(value) :]


@pytest.mark.parametrize(
    ("offset", "value", "code"),
    [
        (8, b"\x01\x00", "encrypted-workbook"),  # general-purpose flag bit 0: a zip-encrypted entry
        (10, b"\x0c\x00", "corrupt-zip"),  # compression method 12 (bzip2)
        (24, b"\x00\x10\x00\x00", "corrupt-zip"),  # declared size 4,096 bytes
        (42, b"\xff\xff\x00\x00", "corrupt-zip"),  # local header offset pointing nowhere
    ],
)
def test_lying_directory_fields(base: bytes, offset: int, value: bytes, code: str) -> None:
    assert codes(preflight(patch_central_directory(base, offset, value))) == [code]


def test_utf16_doctype_is_found(base: bytes) -> None:
    styles = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x [<!ENTITY e "e">]><styleSheet/>'.encode("utf-16")
    assert codes(preflight(hostile.with_part(base, "xl/styles.xml", styles))) == ["xml-entities"]


def test_media_parts_are_checked_without_being_kept(base: bytes) -> None:
    photo = random.Random(1).randbytes(3 * 1024 * 1024)  # incompressible, like a JPEG
    assert codes(preflight(hostile.with_part(base, "xl/media/image1.jpeg", photo))) == []
    zeros = bytes(8 * 1024 * 1024)
    assert codes(preflight(hostile.with_part(base, "xl/media/image1.png", zeros))) == ["zip-bomb"]


# -- limits ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("limits", "code"),
    [
        (Limits(max_file_bytes=10_000), "too-large"),
        (Limits(max_entries=5), "too-large"),
        (Limits(max_part_bytes=50_000), "too-large"),
        (Limits(max_total_bytes=100_000), "too-large"),
        (Limits(max_ratio=5, ratio_floor_bytes=50_000), "zip-bomb"),
        (Limits(max_sheets=1), "too-many-sheets"),
        (Limits(max_rows=78), "grid-out-of-bounds"),
        (Limits(max_columns=23), "grid-out-of-bounds"),
    ],
)
def test_each_limit_rejects_the_base_when_set_below_it(base: bytes, limits: Limits, code: str) -> None:
    assert codes(preflight(base, limits=limits)) == [code]


def test_base_is_exactly_at_its_used_area_limits(base: bytes) -> None:
    assert codes(preflight(base, limits=Limits(max_rows=79, max_columns=24))) == []


@pytest.mark.parametrize(
    ("cells", "passes"),
    [
        (("A1", "IV10000"), True),
        (("A1", "IW1"), False),
        (("A1", "A10001"), False),
        (("Z9999", "AA10000"), True),
        (("XFD1",), False),
        (("A1048576",), False),
    ],
)
def test_used_area_boundaries(base: bytes, cells: tuple[str, ...], passes: bool) -> None:
    assert codes(preflight(hostile.with_cells(base, *cells))) == ([] if passes else ["grid-out-of-bounds"])


@pytest.mark.parametrize(
    ("rows", "passes"),
    [
        # Cells and rows without r follow the previous ones (the spec allows it).
        (b"<row>" + b"<c><v>1</v></c>" * 256 + b"</row>", True),
        (b"<row>" + b"<c><v>1</v></c>" * 257 + b"</row>", False),
        (b'<row r="9999"><c r="A9999"/></row><row><c/></row>', True),
        (b'<row r="10000"><c r="A10000"/></row><row><c/></row>', False),
        (b'<row r="1"><c r="IU1"/><c/><c/></row>', False),
        # r where a fast scan for '<c r="' would not look: later in the tag, single-quoted, after a '>' in a value.
        (b'<row r="1"><c t="n" r="XFD1048576"><v>1</v></c></row>', False),
        (b"<row r='1'><c r='A1048576'><v>1</v></c></row>", False),
        (b'<row r="1"><c foo=">" r="XFD1"><v>1</v></c></row>', False),
        (b'<row r="1"><c r = "B2"/></row>', True),
        (b'<row r="1"><c r="1A"/></row>', False),
    ],
)
def test_unusual_cell_markup(base: bytes, rows: bytes, passes: bool) -> None:
    assert codes(preflight(hostile.with_rows(base, rows))) == ([] if passes else ["grid-out-of-bounds"])


# -- robustness --------------------------------------------------------------------


def mutations(data: bytes, rng: random.Random) -> bytes:
    choice = rng.randrange(4)
    if choice == 0:
        return data[: rng.randrange(len(data))]
    mutable = bytearray(data)
    if choice == 1:
        for _ in range(rng.randint(1, 8)):
            mutable[rng.randrange(len(mutable))] = rng.randrange(256)
    elif choice == 2:
        at = rng.randrange(len(mutable))
        mutable[at:at] = rng.randbytes(rng.randint(1, 64))
    else:
        at = rng.randrange(len(mutable))
        del mutable[at : at + rng.randint(1, 64)]
    return bytes(mutable)


def test_never_raises_on_mutated_workbooks(base: bytes) -> None:
    rng = random.Random(7)
    seeds = [base, rezip(base, compression=zipfile.ZIP_STORED)] + [
        hostile.build(key, base)
        for key in ("shared-strings-count", "macros", "external-link", "legacy-xls", "ods-named-xlsx")
    ]
    for _ in range(600):
        result = preflight(mutations(rng.choice(seeds), rng))
        assert isinstance(result, Preflight)
        assert all(issue.code and issue.message for issue in result.issues)


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=4096))
def test_never_raises_on_arbitrary_bytes(data: bytes) -> None:
    assert isinstance(preflight(data), Preflight)
    assert isinstance(preflight(b"PK\x03\x04" + data), Preflight)
    assert isinstance(preflight(hostile.OLE_MAGIC + data), Preflight)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_never_raises_on_workbook_with_a_damaged_span(base: bytes, data: st.DataObject) -> None:
    start = data.draw(st.integers(0, len(base) - 1))
    replacement = data.draw(st.binary(max_size=32))
    damaged = base[:start] + replacement + base[start + len(replacement) :]
    assert isinstance(preflight(damaged), Preflight)


def test_preflight_costs_a_fraction_of_a_read(base: bytes) -> None:
    preflight(base)
    started = time.perf_counter()
    for _ in range(200):
        preflight(base)
    per_file = (time.perf_counter() - started) / 200
    assert per_file < 0.005  # measured ~1 ms, about what a bare fastexcel read of the same file costs


def test_issue_codes_and_messages_come_from_the_catalogue(corpus: dict[str, bytes]) -> None:
    for data in corpus.values():
        for issue in preflight(data).issues:
            assert issue.code in set(Code)
            assert issue.severity == Code(issue.code).severity  # type: ignore[call-arg]
            assert "{" not in issue.message
