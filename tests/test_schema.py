"""The JSON Schema is valid 2020-12, documents every field of the layout, and the seed record satisfies it."""

from __future__ import annotations

from jsonschema import Draft202012Validator

from pipeline.checks.shape import inline_refs, schema_validator
from pipeline.checks.validate import NOTE_SUFFIX
from pipeline.contract import layout
from pipeline.contract.schema import load_schema
from scripts.seed import seed_record


def _schema() -> dict:
    return load_schema()


def test_schema_is_valid_draft_2020_12() -> None:
    Draft202012Validator.check_schema(_schema())
    Draft202012Validator.check_schema(inline_refs(_schema()))


def test_schema_names_every_layout_field_and_column() -> None:
    schema = _schema()
    top = set(schema["properties"])
    assert top == {f.name for f in (*layout.META_FIELDS, *layout.BASIC_FIELDS)} | {"policies"}
    policy = set(schema["$defs"]["policy"]["properties"])
    assert policy == {f.name for f in layout.POLICY_FIELDS} | {"sheet"}
    for table, definition in [
        ("indicators", "indicator"),
        ("projects", "project"),
        ("results", "result"),
        ("challenges", "challenge"),
        ("related_plans", "related_plan"),
    ]:
        keys = set(schema["$defs"][definition]["properties"])
        columns = layout.ALL_FIELDS[table].columns
        notes = {c.key + NOTE_SUFFIX for c in columns if c.kind in (layout.Kind.VALUE, layout.Kind.BUDGET)}
        assert keys == {c.key for c in columns} | notes, table


def test_every_property_has_a_japanese_description() -> None:
    schema = _schema()
    described = [schema["properties"], *(d.get("properties", {}) for d in schema["$defs"].values())]
    for properties in described:
        for key, prop in properties.items():
            assert any("\u3040" <= ch <= "\u9fff" for ch in prop.get("description", "")), key


def test_seed_record_is_valid_and_a_broken_one_is_not() -> None:
    validator = schema_validator()
    assert list(validator.iter_errors(seed_record())) == []
    noted = seed_record()
    noted["policies"][0]["indicators"][0].update(actual_note="見込み", target="全て達成する")
    noted["policies"][0]["indicators"][0]["baseline_as_of"] = {
        "text": "R2\nR3",
        "normalised": None,
        "fiscal_year": None,
    }
    assert list(validator.iter_errors(noted)) == []
    broken = seed_record()
    broken["stage"] = "年度末"
    broken["policies"][0]["achievement"] = 11
    assert sorted(list(e.instance_path) for e in validator.iter_errors(broken)) == [
        ["policies", 0, "achievement"],
        ["stage"],
    ]
