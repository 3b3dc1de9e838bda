"""The house shows the pipeline (issue 11): stage folders that each say what they hold, and no module too long to
read whole."""

from __future__ import annotations

import ast
from pathlib import Path

import pipeline

PACKAGE = Path(pipeline.__file__).resolve().parent
MOST_LINES = 600
STAGES = ("contract", "intake", "checks", "combine", "history", "outputs")


def test_no_module_is_longer_than_600_lines() -> None:
    lengths = {
        path.relative_to(PACKAGE).as_posix(): len(path.read_text(encoding="utf-8").splitlines())
        for path in PACKAGE.rglob("*.py")
    }
    assert len(lengths) > 50
    assert {name: n for name, n in lengths.items() if n > MOST_LINES} == {}


def test_every_stage_folder_says_what_it_holds() -> None:
    for stage in STAGES:
        init = PACKAGE / stage / "__init__.py"
        docstring = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert docstring, stage
