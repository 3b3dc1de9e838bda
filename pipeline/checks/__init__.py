"""Checks: turn raw cells into a normalised record (Japanese input read as a careful reader would), validate it
(schema, then rules), and the indicator status rules of design §5."""
