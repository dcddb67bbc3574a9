"""Errors a planner can act on: every problem in a scenario is reported as ``file:line: key: message``."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One located problem in a scenario file."""

    file: str
    line: int
    key: str
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.key}: {self.message}"


class ScenarioError(ValueError):
    """A scenario that cannot be run; ``problems`` lists every error found, in file order."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))
