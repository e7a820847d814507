"""The one exception hierarchy of graphrec. The CLI turns each into a single clear line."""

from __future__ import annotations

from pathlib import Path


class GraphRecError(Exception):
    """Root of every error graphrec raises on purpose.

    Attributes:
        exit_code: process exit code the CLI uses for this error (default: 1).
    """

    exit_code: int = 1


class ConfigError(GraphRecError):
    """A setting is missing or malformed (``graphrec.toml``, ``GRAPHREC_*`` env or a flag)."""


class InputError(GraphRecError):
    """A bad row in an input file or a bad value on the command line (exit code 2); the message reads
    ``file:line: field: what is wrong``."""

    exit_code = 2

    def __init__(self, file: str | Path, line: int | None, field: str, problem: str) -> None:
        self.file = str(file)
        self.line = line
        self.field = field
        self.problem = problem
        where = f"{self.file}:{line}" if line is not None else self.file
        super().__init__(f"{where}: {field}: {problem}")


class UsageError(ConfigError):
    """A flag's value or a settings file is malformed: bad input, exit code 2 (nothing was done)."""

    exit_code = 2


def clip(text: str, limit: int = 80) -> str:
    """``text`` shortened to about ``limit`` characters, for echoing what a user gave in an error."""
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text):,} characters)"


class DatabaseError(GraphRecError):
    """Neo4j could not be reached, refused the credentials, or failed a statement."""


class TooExpensiveError(GraphRecError):
    """A read query ran over its budget: its transaction timeout or Neo4j's transaction memory. The query
    was stopped, the database is fine (an HTTP 422 ``too_expensive``, not a 503).

    Attributes:
        budget: ``"time"`` or ``"memory"``.
    """

    def __init__(self, budget: str, message: str) -> None:
        self.budget = budget
        super().__init__(message)


class LeaseError(GraphRecError):
    """Another graphrec writer holds the database lease, or this one lost it while writing."""


class ServerError(GraphRecError):
    """The local Neo4j server could not be set up, started or stopped."""


class NotFoundError(GraphRecError):
    """A user, item, run or named query that does not exist (exit code 2)."""

    exit_code = 2


class CapacityError(ConfigError):
    """A model cannot fit this graph within its bounds (memory, say) or the graph lacks what it scores by
    (``content`` without item text or entities): ``graphrec evaluate`` reports that model's row as skipped with
    this message and computes the others."""
