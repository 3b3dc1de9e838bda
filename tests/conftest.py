"""Shared fixtures: workbooks filled through the template's names at test time, and LibreOffice."""

from __future__ import annotations

import copy
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pipeline.contract.fill import fill_template  # noqa: E402
from pipeline.contract.template import write_template  # noqa: E402
from scripts.seed import seed_entries  # noqa: E402


@pytest.fixture(scope="session")
def template_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The standard template, built once per test session."""
    return write_template(tmp_path_factory.mktemp("template") / "template.xlsx")


@pytest.fixture
def seed() -> dict[str, Any]:
    """A fresh, mutable copy of the seed division's entries."""
    return copy.deepcopy(seed_entries())


@pytest.fixture
def make_book(tmp_path: Path, template_path: Path) -> Callable[..., Path]:
    """Write entries into a copy of the template at tmp_path/name."""

    def make(entries: dict[str, Any], name: str = "book.xlsx", folder: Path | None = None) -> Path:
        target = (folder or tmp_path) / name
        target.parent.mkdir(parents=True, exist_ok=True)
        return fill_template(entries, target, template=template_path)

    return make


def soffice() -> str | None:
    """The LibreOffice binary, or None."""
    return shutil.which("soffice") or shutil.which("libreoffice")


@pytest.fixture
def libreoffice(tmp_path: Path) -> Callable[[Path, str, Path], Path]:
    """Convert a file with headless LibreOffice (skipped when it is missing, except in CI where it must exist)."""
    binary = soffice()
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("LibreOffice (soffice) is required in CI: .ci/run installs libreoffice-calc-nogui")
        pytest.skip("LibreOffice (soffice) is not installed")

    def convert(source: Path, fmt: str, outdir: Path) -> Path:
        outdir.mkdir(parents=True, exist_ok=True)
        profile = tmp_path / "lo-profile"
        cmd = [
            binary,
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--norestore",
            "--convert-to",
            fmt,
            "--outdir",
            str(outdir),
            str(source),
        ]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=180, check=False)
        # a single sheet exported to CSV is named <stem>-<sheet>.csv
        matches = sorted(outdir.glob(f"{source.stem}*.{fmt.split(':')[0]}"))
        assert matches, f"LibreOffice failed: {done.stdout} {done.stderr}"
        return matches[0]

    return convert


def set_saved_at(path: Path, stamp: str) -> None:
    """Rewrite the workbook's core property dcterms:modified (openpyxl always stamps 'now' on save)."""
    import re
    import zipfile

    with zipfile.ZipFile(path) as archive:
        parts = [(info, archive.read(info.filename)) for info in archive.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in parts:
            if info.filename == "docProps/core.xml":
                data = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                    rb"\g<1>" + stamp.encode() + rb"\g<2>",
                    data,
                )
            archive.writestr(info, data)
