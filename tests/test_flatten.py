"""Flattening one accepted file into table rows: in the worker (columns) and from the record (rows) alike."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from pipeline.api import process_file
from pipeline.combine import flatten
from pipeline.model import Task


def test_worker_sends_the_same_rows_as_the_record_gives(make_book: Callable[..., Path], seed: dict[str, Any]) -> None:
    path = make_book(seed)
    full = process_file(Task(str(path), "seed.xlsx"))
    slim = process_file(Task(str(path), "seed.xlsx", flatten=True))
    assert full.accepted and slim.accepted
    assert full.record is not None
    assert full.rows is None
    rows = flatten.rows_of_result(full)
    assert slim.rows is not None
    for table in flatten.VALUE_TABLES:
        names = list(flatten.columns(table))
        assert list(slim.rows[table]) == names
        assert slim.rows[table] == {name: [row.get(name) for row in rows[table]] for name in names}
    # the record keeps only what the merge needs; the cells travel in the rows
    assert slim.record == {key: full.record[key] for key in flatten.RECORD_KEPT}
    assert slim.locations == {}
    assert slim.issues == full.issues


def test_seed_rows_carry_values_and_cells(make_book: Callable[..., Path], seed: dict[str, Any]) -> None:
    result = process_file(Task(str(make_book(seed)), "seed.xlsx", flatten=True))
    assert result.rows is not None
    divisions = result.rows["divisions"]
    assert (divisions["file"], divisions["division"], divisions["sheet"]) == (
        ["seed.xlsx"],
        ["情報政策課"],
        ["基本情報"],
    )
    assert (divisions["mission_count"], divisions["policy_count"]) == ([5], [1])
    assert (divisions["fiscal_year_cell"], divisions["division_cell"], divisions["missions_cell"]) == (
        ["C4"],
        ["C7"],
        ["C12"],
    )
    indicators = result.rows["indicators"]
    assert indicators["name"] == [i["name"] for i in seed["policies"][0]["indicators"]]
    assert (indicators["sheet"], indicators["policy_no"], indicators["item_no"]) == (["政策1"] * 2, [1, 1], [1, 2])
    assert (indicators["target"], indicators["actual"]) == ([2.0, 0.0], [6.0, 0.0])
    assert (indicators["name_cell"], indicators["actual_cell"], indicators["row"]) == (
        ["B26", "B27"],
        ["L26", "L27"],
        [26, 27],
    )
    assert (indicators["progress"], indicators["achievement"]) == (["◎", "◎"], [9, 9])
    projects, policies = result.rows["projects"], result.rows["policies"]
    assert (projects["budget"], projects["budget_cell"], policies["budget_total"]) == ([628.0], ["G39"], [628.0])
    assert policies["policy_title_cell"] == ["C3"]


def test_a_rejected_file_is_not_flattened(make_book: Callable[..., Path], seed: dict[str, Any]) -> None:
    seed["division"] = None
    result = process_file(Task(str(make_book(seed)), "bad.xlsx", flatten=True))
    assert not result.accepted
    assert result.rows is None
    assert result.record is not None and "policies" in result.record  # the whole record, for the report


def test_column_types_are_known_for_every_table() -> None:
    for table in (*flatten.VALUE_TABLES, "submissions", "errors"):
        kinds = flatten.columns(table)
        assert kinds and set(kinds.values()) <= {"str", "int", "float"}
    assert flatten.columns("indicators")["actual"] == "float"
    assert flatten.columns("indicators")["actual_text"] == "str"


def test_every_layout_field_reaches_a_table() -> None:
    """A field added to the template contract cannot be dropped silently on its way to the merged tables."""
    from pipeline.contract import layout
    from pipeline.contract.schema import load_schema

    schema = load_schema()
    in_tables = {name for table in flatten.VALUE_TABLES for name in flatten.columns(table)}
    for field in (*layout.BASIC_FIELDS, *layout.POLICY_FIELDS):
        if field.shape is layout.Shape.TABLE and field.name != "related_plans":
            table_columns = flatten.columns(field.name)
            for column in field.columns:
                assert column.key in table_columns, f"{field.name}.{column.key}"
                assert f"{column.key}_cell" in table_columns, f"{field.name}.{column.key}"
        else:
            assert field.name in in_tables, field.name
    assert set(schema["properties"]) - {"policies"} <= {f.name for f in (*layout.META_FIELDS, *layout.BASIC_FIELDS)}
    for field in layout.POLICY_FIELDS:
        assert field.name in schema["$defs"]["policy"]["properties"], field.name
