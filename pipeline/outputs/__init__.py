"""Outputs: everything the pipeline writes — the consolidated workbook, behind_target.md, summary.json, tables/,
feedback copies — published together as one transaction; also the console report and the outbox lock."""
