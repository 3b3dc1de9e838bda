"""summary.json: the merge in machine-readable form (scope, file fates, counts, lists, legend; no timestamps)."""

from __future__ import annotations

from typing import Any

from pipeline.checks.status import INPUT_ERROR, MET, MISSING_ACTUAL, NOT_EVALUABLE
from pipeline.combine.merge import MergeResult
from pipeline.outputs.frames import (
    behind_rows,
    delayed_policies,
    file_counts,
    headline_counts,
    rejected_files,
    table_of,
    warned_policies,
)
from pipeline.outputs.labels import finite
from pipeline.outputs.legend import Presentation, headline, legend_lines
from pipeline.outputs.names import output_names


def summary_dict(
    result: MergeResult, *, outputs: list[str] | None = None, presentation: Presentation | None = None
) -> dict[str, Any]:
    """What summary.json holds: scope, file fates, counts and the lists a machine needs (no timestamps), with the
    one-sentence result and the legend that says how each rate and grade was computed."""
    presentation = presentation or Presentation()
    indicators = table_of(result, "indicators")
    behind = behind_rows(result, presentation.grade_basis)
    counts = headline_counts(result)
    behind_list = [
        {
            "file": row["file"],
            "department": row["department"],
            "division": row["division"],
            "sheet": row["sheet"],
            "cell": row["actual_cell"],
            "policy": row["policy_title"],
            "indicator": row["name"],
            "unit": row["unit"],
            "direction": row["direction"],
            "start": finite(row["start"] if row["start"] is not None else row["baseline"]),
            "target": finite(row["target"]),
            "actual": finite(row["actual"]),
            "achievement_rate": finite(row["achievement_rate"]),
            "progress_rate": finite(row["progress_rate"]),
            "grade": row["grade"],
        }
        for row in behind.iter_rows(named=True)
    ]
    return {
        "fiscal_year": result.fiscal_year,
        "stage": result.stage,
        "headline": headline(counts),
        "files": file_counts(result),
        "divisions": table_of(result, "divisions").height,
        "policies": counts["policies"],
        "policies_on_schedule": counts["on_schedule"],
        "indicators": indicators.height,
        "met_target": counts[MET],
        "behind_target": behind.height,
        "missing_actual": counts[MISSING_ACTUAL],
        "not_evaluable": counts[NOT_EVALUABLE],
        "input_error": counts[INPUT_ERROR],
        "behind_trajectory": int(indicators.get_column("behind_trajectory").sum())
        if "behind_trajectory" in indicators.columns
        else 0,
        "progress_delayed": delayed_policies(result).height,
        "evaluation_warnings": warned_policies(result).height,
        "grade_basis": presentation.grade_basis,
        "grade_bands": dict(presentation.grade_bands),
        "legend": legend_lines(presentation),
        "not_submitted": [
            {"code": d.code, "department": d.department, "division": d.division} for d in result.not_submitted
        ],
        "rejected": rejected_files(result),
        "needs_correction": rejected_files(result, "needs-correction"),
        "behind_target_indicators": behind_list,
        "outputs": outputs if outputs is not None else output_names(result),
    }
