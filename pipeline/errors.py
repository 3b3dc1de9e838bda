"""Exceptions for conditions under which a command cannot go on (bad input files are issues, not exceptions)."""

from __future__ import annotations


class PipelineError(Exception):
    """A command cannot go on; the message is Japanese and says what to do."""


class ConfigError(PipelineError):
    """pipeline.toml or an option value is invalid."""


class MasterError(PipelineError):
    """The division master list cannot be read or lacks its columns."""


class OutboxLocked(PipelineError):
    """Another merge is writing to the same outbox."""


class NothingToDo(PipelineError):
    """The inbox holds no workbook that could be merged."""


class UsageProblem(PipelineError):
    """The command was asked to do something it must refuse (overwrite a filled workbook, write into the inbox)."""
