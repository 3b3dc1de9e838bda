"""summary.json: the merge in machine-readable form (scope, file fates, counts, lists; no timestamps)."""

from __future__ import annotations

from typing import Any

from pipeline.checks.status import MISSING_ACTUAL, NOT_EVALUABLE
from pipeline.combine.merge import MergeResult
from pipeline.outputs.frames import (
    behind_rows,
    count_of,
    delayed_policies,
    file_counts,
    rejected_files,
    table_of,
    warned_policies,
)
from pipeline.outputs.labels import finite
from pipeline.outputs.names import output_names


def summary_dict(result: MergeResult) -> dict[str, Any]:
    """What summary.json holds: scope, file fates, counts and the lists a machine needs (no timestamps)."""
    indicators = table_of(result, "indicators")
    behind = behind_rows(result)
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
            "target": finite(row["target"]),
            "actual": finite(row["actual"]),
            "rate": finite(row["achievement_rate"]),
            "grade": row["grade"],
        }
        for row in behind.iter_rows(named=True)
    ]
    return {
        "fiscal_year": result.fiscal_year,
        "stage": result.stage,
        "files": file_counts(result),
        "divisions": table_of(result, "divisions").height,
        "policies": table_of(result, "policies").height,
        "indicators": indicators.height,
        "behind_target": behind.height,
        "missing_actual": count_of(indicators, "status", MISSING_ACTUAL),
        "not_evaluable": count_of(indicators, "status", NOT_EVALUABLE),
        "behind_trajectory": int(indicators.get_column("behind_trajectory").sum())
        if "behind_trajectory" in indicators.columns
        else 0,
        "progress_delayed": delayed_policies(result).height,
        "evaluation_warnings": warned_policies(result).height,
        "not_submitted": [
            {"code": d.code, "department": d.department, "division": d.division} for d in result.not_submitted
        ],
        "rejected": rejected_files(result),
        "needs_correction": rejected_files(result, "needs-correction"),
        "behind_target_indicators": behind_list,
        "outputs": output_names(result),
    }
