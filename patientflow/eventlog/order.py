"""Times out of order along the pathway, and which of them to leave out.

A patient's times must come in the pathway's order: nothing before the arrival, nothing after
leaving, a step queued for, started, then ended, a later step after an earlier one. When some
are not, the suspect is the time (the cell: a column serving several events is one time) out of
order with the most of the patient's other times; it is left out, and so on until the rest are
in order. Two or more equally suspect are all left out, except the arrival, which is kept; an
arrival that is the one suspect leaves the patient out (a patient is counted from it).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

TOLERANCE = 1e-6  # minutes


def order_rules(model, minutes) -> list[tuple[str, str, str]]:
    """(earlier, later, why): the pairs of events whose times must come in that order."""
    rules = [("arrived", e, "nothing happens before the first contact") for e in minutes if e != "arrived"]
    for s in model.steps:
        names = [model.events[i] for i in (s.queued, s.start, s.end)]
        for a, b in zip(names, names[1:]):
            if a in minutes and b in minutes:
                rules.append((a, b, "a step is queued for, started, then ended"))
    for i, s in enumerate(model.steps):
        last_i = next((model.events[e] for e in (s.end, s.start, s.queued) if model.events[e] in minutes), None)
        for j in sorted(model.reachable_steps[i] - {i}):
            t = model.steps[j]
            first_j = next((model.events[e] for e in (t.queued, t.start, t.end) if model.events[e] in minutes), None)
            if first_j and last_i:
                rules.append((last_i, first_j, f"step {t.name} comes after step {s.name}"))
    if "left" in minutes:
        rules.extend((e, "left", "a patient leaves last") for e in minutes if e not in ("left", "arrived"))
    return rules


def leave_out_disorder(model, mapping, frame, minutes, source, unknown, cell_rows, exclusions) -> None:
    """Leave out the most suspect times of every usable patient whose times are out of order,
    until the rest are in order. ``minutes`` (per event) is changed in place, times left out
    marked in ``unknown``; ``source`` says which of an event's columns each time came from and,
    for a long log, ``cell_rows`` the row of each event label's cell."""
    columns = {c for cs in mapping.events.values() for c in cs}
    text = None if mapping.long else {c: frame[c].astype("string").fillna("").to_numpy() for c in columns}
    rules = order_rules(model, minutes)
    with np.errstate(invalid="ignore"):
        broken = np.zeros(len(exclusions.rows), dtype=bool)
        for a, b, _ in rules:
            broken |= minutes[b] < minutes[a] - TOLERANCE
    settling = _Settling(mapping, minutes, source, unknown, cell_rows, text, exclusions)
    for i in np.flatnonzero(broken & exclusions.usable()):
        settling.settle(i, rules)


@dataclass
class _Settling:
    """One log's times, settled patient by patient."""

    mapping: object
    minutes: dict
    source: dict
    unknown: dict
    cell_rows: dict
    text: dict | None  # wide logs: each event column's cells as written
    exclusions: object

    def cell(self, event: str, i: int) -> str:
        """The column (long: the event label) patient ``i``'s time of ``event`` came from."""
        return self.mapping.events[event][self.source[event][i]]

    def shown(self, event: str, i: int) -> str:
        if self.text is not None:
            return f"({self.text[self.cell(event, i)][i]})"
        return f"(minute {self.minutes[event][i]:,.1f})"

    def settle(self, i: int, rules) -> None:
        """Leave out patient ``i``'s most suspect times (cells) until the rest are in order."""
        while True:
            broken = self.broken(i, rules)
            if not broken:
                return
            suspects = self.suspects(i, broken)
            for c in suspects:
                if self.leave_out(i, c, broken):
                    return
            self.forget(i, suspects)

    def broken(self, i: int, rules) -> list[tuple[str, str, str]]:
        """The rules patient ``i``'s times break, one per pair of cells (a column serving two
        events is one time)."""
        m, pairs = self.minutes, {}
        for a, b, why in rules:
            if m[b][i] < m[a][i] - TOLERANCE and self.cell(a, i) != self.cell(b, i):
                pairs.setdefault((self.cell(a, i), self.cell(b, i)), (a, b, why))
        return list(pairs.values())

    def suspects(self, i: int, broken) -> list[str]:
        """The cells out of order with the most others; the arrival only when it is the one."""
        count: dict[str, int] = {}
        for a, b, _ in broken:
            for c in (self.cell(a, i), self.cell(b, i)):
                count[c] = count.get(c, 0) + 1
        top = max(count.values())
        suspects = [c for c, k in count.items() if k == top]
        arrival = self.cell("arrived", i)
        if len(suspects) > 1 and arrival in suspects:
            suspects.remove(arrival)
        return suspects

    def leave_out(self, i: int, c: str, broken) -> bool:
        """List cell ``c`` of patient ``i`` as left out, saying why; True when it is the arrival,
        which leaves the patient out."""
        cell, shown = self.cell, self.shown
        mine = [(a, b, why) for a, b, why in broken if c in (cell(a, i), cell(b, i))]
        a, b, why = mine[0]
        said = (f"{b} {shown(b, i)} is before {a} {shown(a, i)}" if cell(b, i) == c
                else f"{a} {shown(a, i)} is after {b} {shown(b, i)}")
        more = f" (and out of order with {len(mine) - 1} more of the patient's times)" if len(mine) > 1 else ""
        row = self.cell_rows[c][i] if self.mapping.long else self.exclusions.rows[i]
        if c == cell("arrived", i):
            self.exclusions.bad([i], c, [f"{said}: {why}{more}; no arrival time fits the others, so the patient is not used"], rows=[row])
            return True
        self.exclusions.blank([i], c, [f"{said}: {why}{more}; this time is left out"], rows=[row])
        return False

    def forget(self, i: int, suspects) -> None:
        """Set the times of the suspect cells missing: recorded, but when is not known."""
        for c in suspects:
            for event in self.minutes:
                if not np.isnan(self.minutes[event][i]) and self.cell(event, i) == c:
                    self.minutes[event][i] = np.nan
                    self.unknown[event][i] = True
