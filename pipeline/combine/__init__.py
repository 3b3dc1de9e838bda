"""Combine: flatten each accepted record into table rows (columns derived from the layout) and merge the files
into prefecture-wide tables with their fates (scope, resubmissions, not submitted)."""
