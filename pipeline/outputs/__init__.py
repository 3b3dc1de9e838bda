"""Outputs: everything the pipeline writes: the consolidated workbook, its tables and summaries, feedback copies.
Feedback copies are made by patching the division's own package (`pipeline.outputs.patch`)."""
