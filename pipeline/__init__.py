"""工程表 pipeline: validate and merge the divisions' 工程表 workbooks into prefecture-wide tables."""

__version__ = "0.1.0"
