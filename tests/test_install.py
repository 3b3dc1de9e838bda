"""A regular install: the wheel built from the repository, installed into a fresh venv, runs from anywhere."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from scripts.seed import seed_entries

ROOT = Path(__file__).resolve().parent.parent


def _run(args: list[str], cwd: Path, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=False, env=env, **kwargs)


@pytest.mark.slow
def test_the_wheel_installs_and_runs_outside_the_repository(tmp_path: Path, make_book: Callable[..., Path]) -> None:
    source = tmp_path / "source"  # a clean copy, so that the build leaves nothing in the repository
    shutil.copytree(
        ROOT,
        source,
        ignore=shutil.ignore_patterns(
            ".venv", ".git", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", "outbox"
        ),
    )
    built = _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-index", "-w", str(tmp_path / "dist"), "."], source
    )
    if built.returncode != 0 and "setuptools" in built.stdout + built.stderr:  # no offline build backend: ask the index
        built = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(tmp_path / "dist"), "."], source)
    assert built.returncode == 0, built.stdout + built.stderr
    assert "Warning" not in built.stderr, built.stderr
    [wheel] = (tmp_path / "dist").glob("koteihyo_pipeline-*.whl")

    venv = tmp_path / "venv"
    assert _run([sys.executable, "-m", "venv", str(venv)], tmp_path).returncode == 0
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    installed = _run([str(python), "-m", "pip", "install", "--no-index", "--no-deps", str(wheel)], tmp_path)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    # the dependencies already installed here, seen after the venv's own packages (offline, and fast)
    site = Path(
        _run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], tmp_path).stdout.strip()
    )
    ours = {sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}
    (site / "zz_dependencies.pth").write_text("\n".join(sorted(ours)) + "\n", encoding="utf-8")

    work = tmp_path / "elsewhere"
    inbox = work / "inbox"
    make_book(seed_entries(), "情報政策課.xlsx", inbox)
    where = _run([str(python), "-c", "import pipeline; print(pipeline.__file__)"], work)
    assert Path(where.stdout.strip()).is_relative_to(venv), where.stdout + where.stderr
    command = venv / ("Scripts/pipeline.exe" if os.name == "nt" else "bin/pipeline")
    checked = _run([str(command), "validate", "inbox/情報政策課.xlsx"], work)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "inbox/情報政策課.xlsx: 受理" in checked.stdout
    merged = _run([str(command), "merge"], work)
    assert merged.returncode == 0, merged.stdout + merged.stderr
    summary = json.loads((work / "outbox" / "summary.json").read_text(encoding="utf-8"))
    assert summary["files"]["accepted"] == 1
    assert (work / "outbox" / "consolidated.xlsx").is_file()
