"""What a log's reading leaves out, and why: the bookkeeping of rows and fields not used.

Two kinds, never dropped silently: a *patient not used* (its rows are listed, the patient is
left out of every moment) and a *field left out* (the patient is used with that field missing).
A row not used at all (in a long log, an event the mapping does not name) is listed with no
patient. Each is kept as (row, column, message) and handed back in row order as
``file:row: column: message`` problems.
"""

from __future__ import annotations

import numpy as np

from ..errors import Problem


class Exclusions:
    """The rows and fields left out of the patients at positions ``0 .. len(rows) - 1`` of the
    wide frame (``rows`` holds each patient's row number in the file)."""

    def __init__(self, rows: np.ndarray):
        self.rows = rows
        self.problems: list[tuple[int, str, str]] = []  # (row number, column, message): patients and rows not used
        self.blanks: list[tuple[int, int, str, str]] = []  # (position, row, column, message): fields left out
        self.excluded: set[int] = set()  # rows not used at all
        self.dropped: set[int] = set()  # positions (in the wide frame) of patients not used

    def row_unused(self, row: int, column: str, message: str) -> None:
        """Leave out a row that belongs to no patient."""
        self.problems.append((row, column, message))
        self.excluded.add(row)

    def bad(self, positions, column: str, messages, rows=None) -> None:
        """Leave out the patients at ``positions``; list each with its row and why."""
        positions = np.asarray(positions, dtype=int).ravel()
        rows = self.rows[positions] if rows is None else np.asarray(rows).ravel()
        for position, row, message in zip(positions, rows, messages):
            self.problems.append((int(row), column, message))
            self.excluded.add(int(row))
            self.dropped.add(int(position))

    def blank(self, positions, column: str, messages, rows=None) -> None:
        """Leave out one field of the patients at ``positions`` (the caller sets it missing)."""
        positions = np.asarray(positions, dtype=int).ravel()
        rows = self.rows[positions] if rows is None else np.asarray(rows).ravel()
        for position, row, message in zip(positions, rows, messages):
            self.blanks.append((int(position), int(row), column, message))

    def usable(self) -> np.ndarray:
        """The mask of patients still used."""
        mask = np.ones(len(self.rows), dtype=bool)
        mask[list(self.dropped)] = False
        return mask

    def listed(self, path) -> tuple[list[Problem], list[int], list[Problem]]:
        """(everything left out, rows not used, fields left out of patients that are used), each
        in row order. A field left out of a patient not used counts that patient's row as not used."""
        used = self.usable()
        blanked = [(row, column, message) for position, row, column, message in self.blanks if used[position]]
        self.excluded.update(row for position, row, _, _ in self.blanks if not used[position])
        every = [*self.problems, *((row, column, message) for _, row, column, message in self.blanks)]
        exclusions = [Problem(str(path), row, column, message) for row, column, message in sorted(every)]
        return exclusions, sorted(self.excluded), [Problem(str(path), *p) for p in sorted(blanked)]
