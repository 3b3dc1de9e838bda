"""consolidated.pdf: the consolidated workbook printed by LibreOffice, for the office to hand out on paper."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

PDF_TIMEOUT_S = 300.0
NO_LIBREOFFICE = (
    "LibreOffice（soffice）が見つからないため、PDF（{name}）は作りませんでした。"
    "集約そのものは完了しています。PDF が必要な場合は LibreOffice を入れ、soffice を PATH に加えてから再実行してください。"
)
FAILED = "LibreOffice で PDF（{name}）を作れませんでした（{detail}）。集約そのものは完了しています。"


def libreoffice() -> str | None:
    """The LibreOffice binary on PATH, or None."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def print_pdf(workbook: Path, target: Path, *, scratch: Path | None = None) -> str | None:
    """Print ``workbook`` to ``target`` with headless LibreOffice (its own throwaway profile, list arguments, a
    time limit); None when done, else a Japanese message saying why not (the merge goes on without a PDF)."""
    binary = libreoffice()
    if binary is None:
        return NO_LIBREOFFICE.format(name=target.name)
    with tempfile.TemporaryDirectory(dir=scratch) as work:
        outdir, profile = Path(work) / "out", Path(work) / "profile"
        command = [
            binary,
            f"-env:UserInstallation={profile.resolve().as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
            str(outdir),
            str(workbook),
        ]
        try:
            done = subprocess.run(command, capture_output=True, timeout=PDF_TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired:
            return FAILED.format(name=target.name, detail=f"{PDF_TIMEOUT_S:.0f}秒を超えました")
        except OSError as exc:
            return FAILED.format(name=target.name, detail=type(exc).__name__)
        produced = outdir / f"{workbook.stem}.pdf"
        if not produced.is_file():
            detail = (done.stderr or b"").decode("utf-8", "replace").strip().splitlines()
            return FAILED.format(
                name=target.name, detail=detail[-1][:200] if detail else f"終了コード {done.returncode}"
            )
        shutil.move(str(produced), str(target))
    return None
