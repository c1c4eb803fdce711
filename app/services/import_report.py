"""What an import did, or would do in a dry run, and every row it rejected (and why)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from app.cli import EXIT_OK, EXIT_SOME_FAILED, EXIT_UNUSABLE


@dataclass(frozen=True)
class RowProblem:
    """Why one row was rejected: its physical line in the file (header = 1) and column."""

    row: int
    column: str | None
    reason: str


@dataclass
class ImportReport:
    """What an import did, or would do in a dry run, and every row it rejected."""

    kind: str
    path: Path
    dry_run: bool = False
    encoding: str | None = None
    rows_read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    also_created: Counter[str] = field(default_factory=Counter)
    problems: list[RowProblem] = field(default_factory=list)
    fatal: str | None = None  # why the file could not be imported at all

    @property
    def rows_rejected(self) -> int:
        return len({problem.row for problem in self.problems})

    @property
    def exit_code(self) -> int:
        if self.fatal:
            return EXIT_UNUSABLE
        return EXIT_SOME_FAILED if self.problems else EXIT_OK

    def reject(self, row: int, column: str | None, reason: str) -> None:
        self.problems.append(RowProblem(row, column, reason))

    def start_over(self) -> None:
        """Forget every count and problem (the import is begun again, or given up)."""
        self.rows_read = self.created = self.updated = self.unchanged = 0
        self.also_created.clear()
        self.problems.clear()
