"""Fuzzing the whole parse: mutated zips and XML parts of a filled template are accepted or cleanly rejected.

Each mutated file goes through the same isolated workers as `pipeline merge`; the test
asserts that every result is an acceptance or a rejection with a catalogued code, and
that no worker died, hung or hit an unexpected error.
"""

from __future__ import annotations

import io
import os
import re
import time
import zipfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from pipeline.api import process_file
from pipeline.intake.pool import run_isolated
from pipeline.model import Code, Task
from scripts.seed import seed_entries

UNEXPECTED = {"internal-error", "reader-crashed", "too-slow"}
ODD_TEXT = st.text(
    alphabet=st.sampled_from(
        ["\u0000", "\ufffe", "\U0001f600", "\u202e", "ｱ", "①", "Ⅲ", "=", "<", "&", "\ud7ff", "ー", "6", "."]
    ),
    min_size=1,
    max_size=40,
)


def _parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _zip(parts: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return out.getvalue()


@st.composite
def mutation(draw: Any, base: bytes) -> bytes:
    """One mutated workbook: a structural or XML-level change drawn at random."""
    parts = _parts(base)
    names = sorted(parts)
    sheets = [n for n in names if n.startswith("xl/worksheets/")]
    kind = draw(
        st.sampled_from(
            [
                "drop-part",
                "flip-bytes",
                "swap-cell-type",
                "huge-string",
                "bad-shared-index",
                "odd-unicode",
                "out-of-range-ref",
                "truncate",
                "flip-raw",
                "duplicate-name-ref",
            ]
        )
    )
    if kind == "drop-part":
        parts.pop(draw(st.sampled_from(names)))
    elif kind == "flip-bytes":
        name = draw(st.sampled_from(names))
        content = bytearray(parts[name])
        for _ in range(draw(st.integers(1, 8))):
            at = draw(st.integers(0, max(0, len(content) - 1)))
            content[at] = draw(st.integers(0, 255))
        parts[name] = bytes(content)
    elif kind == "swap-cell-type":
        name = draw(st.sampled_from(sheets))
        new = draw(st.sampled_from([b't="n"', b't="b"', b't="e"', b't="d"', b't="str"']))
        parts[name] = parts[name].replace(b't="inlineStr"', new, draw(st.integers(1, 50)))
    elif kind == "huge-string":
        name = draw(st.sampled_from(sheets))
        filler = ("長" * draw(st.integers(1_000, 40_000))).encode()
        parts[name] = parts[name].replace(b"<t>", b"<t>" + filler, 1)
    elif kind == "bad-shared-index":
        name = draw(st.sampled_from(sheets))
        index = str(draw(st.sampled_from([0, 1, 99_999, 2**31, 2**64]))).encode()
        parts[name] = re.sub(
            rb't="inlineStr"><is><t>[^<]*</t></is>', b't="s"><v>' + index + b"</v>", parts[name], count=3
        )
    elif kind == "odd-unicode":
        name = draw(st.sampled_from(sheets))
        text = draw(ODD_TEXT).encode("utf-8", "surrogatepass")
        parts[name] = re.sub(rb"<t>[^<]*</t>", b"<t>" + text + b"</t>", parts[name], count=draw(st.integers(1, 20)))
    elif kind == "out-of-range-ref":
        name = draw(st.sampled_from(sheets))
        ref = draw(st.sampled_from([b"A0", b"XFD1048576", b"AAAA1", b"B-1", b"A99999999999", b"", b"1A"]))
        parts[name] = re.sub(rb'<c r="[A-Z]+[0-9]+"', b'<c r="' + ref + b'"', parts[name], count=1)
    elif kind == "duplicate-name-ref":
        parts["xl/workbook.xml"] = parts["xl/workbook.xml"].replace(
            b"$C$4", draw(st.sampled_from([b"$C$0", b"$XFE$4", b"#REF!", b"$C:$C"]))
        )
    data = _zip(parts)
    if kind == "truncate":
        data = data[: draw(st.integers(0, len(data) - 1))]
    elif kind == "flip-raw":
        raw = bytearray(data)
        at = draw(st.integers(0, len(raw) - 1))
        raw[at] ^= 0xFF
        data = bytes(raw)
    return data


BASE: list[bytes] = []


def base_bytes(tmp: Path) -> bytes:
    if not BASE:
        from pipeline.contract.fill import fill_template

        BASE.append(fill_template(seed_entries(), tmp / "base.xlsx").read_bytes())
    return BASE[0]


# no shrinking: an example is a batch of 30 files, and a failure names the file and its codes
@settings(
    max_examples=4,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_mutated_workbooks_are_accepted_or_cleanly_rejected(tmp_path: Path, data: Any) -> None:
    base = base_bytes(tmp_path)
    folder = tmp_path / f"batch{len(list(tmp_path.iterdir()))}"
    folder.mkdir()
    tasks = []
    for i in range(30):
        path = folder / f"m{i}.xlsx"
        path.write_bytes(data.draw(mutation(base)))
        os.utime(path, (time.time() - 3600, time.time() - 3600))  # settled: a truncated file is broken, not arriving
        tasks.append(Task(str(path), path.name))
    results = dict(run_isolated(tasks, workers=2, timeout_s=30, handler=process_file))
    assert len(results) == len(tasks)
    problems = []
    for index, result in results.items():
        codes = {i.code for i in result.issues}
        clean = codes <= set(Code) and not codes & UNEXPECTED and (result.accepted or bool(result.blocking))
        if not clean:
            problems.append((tasks[index].display, [i.message[:160] for i in result.issues]))
    assert problems == []
