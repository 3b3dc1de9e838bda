"""Years: the history store of merged records, division and indicator identity across years (lineage),
continuity checks against last year, and the year-over-year view; after merge, before the outputs."""
