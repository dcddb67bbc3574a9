"""What a comparison decides: whether a change counts, which groups are too small to judge, and
which targets flip.

Every page, table and command of a comparison asks these functions, so a change never counts in
one place and not in another:

* **a change counts** (:func:`change_verdict`) when its paired 95 % interval excludes 0 *and*
  its estimate is at least the practical :class:`Threshold` (by default 1 min for a time, 1
  percentage point for a share) — then it *improved* or *worsened* (which way is better comes
  from :func:`~patientflow.moments.verdict.better`); a real change smaller than that is *too
  small to matter*;
* **a group is too small to judge** (:func:`too_small`) when fewer than :data:`SMALL_GROUP`
  patients a replication count for it: its 90th centile then rests on fewer than ten of them,
  and the per-replication values are too far from normal for a t-interval. Its changes are
  flagged (*too few patients*), never ranked;
* **a target flips** (:func:`target_flips`) when its verdict (met, close, missed) differs between
  two scenarios and the paired change in the statistic it is judged on counts the same way:
  better towards met (the change improved), worse towards missed (it worsened). Critical moments
  come first.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from .verdict import VERDICTS, Better, Verdict

DEFAULT_MINUTES = 1.0  # the smallest change in a time that counts
DEFAULT_SHARE = 0.01  # the smallest change in a share that counts: 1 percentage point
SMALL_GROUP = 100  # patients a replication below which a group is too small to judge
_TOLERANCE = 1e-12

ChangeVerdict = Literal["improved", "worsened", "changed", "too few patients", "too small to matter",
                        "no significant change"]
COUNTING: tuple[ChangeVerdict, ...] = ("improved", "worsened", "changed")
RULE = ("A change counts when its paired 95 % interval excludes 0 and it is at least {threshold}; a group with "
        f"fewer than {SMALL_GROUP} patients a replication is too small to judge: its changes are flagged, not ranked.")


@dataclass(frozen=True)
class Threshold:
    """The smallest change that counts: ``minutes`` for a time, ``share`` (a fraction) for a share."""

    minutes: float = DEFAULT_MINUTES
    share: float = DEFAULT_SHARE

    def of(self, unit: str) -> float:
        """The threshold in the unit of a statistic (``min`` or ``share``)."""
        return self.share if unit == "share" else self.minutes

    def text(self) -> str:
        """``1 min or 1 percentage point``, as a page states it."""
        points = 100 * self.share
        return f"{self.minutes:g} min or {points:g} percentage point{'' if points == 1 else 's'}"


def _nan(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x)) or x != x


def too_small(patients: float) -> bool:
    """Whether a group with ``patients`` a replication (the fewer of the two scenarios) is too
    small to judge; a group with no count at all is too."""
    return _nan(patients) or patients < SMALL_GROUP


def change_verdict(difference: float, low: float, high: float, threshold: float, way: Better | None,
                   small: bool = False) -> ChangeVerdict:
    """The verdict on a paired difference: it counts (improved, worsened, or changed when neither
    way is better) when its interval excludes 0 and it is at least ``threshold``; a real change
    below it is too small to matter; a group too ``small`` to judge has too few patients."""
    if _nan(difference) or _nan(low) or _nan(high) or not (low > 0 or high < 0):
        return "no significant change"
    if abs(difference) < threshold - _TOLERANCE:  # a change of exactly the threshold counts
        return "too small to matter"
    if small:
        return "too few patients"
    if way is None:
        return "changed"
    return "improved" if (difference < 0) == (way == "lower") else "worsened"


@dataclass(frozen=True)
class Flip:
    """A target whose verdict differs between the first scenario and another."""

    moment: str
    group: str
    tier: str
    title: str
    stage: str
    critical: bool
    before: Verdict
    after: Verdict
    direction: Literal["better", "worse"]
    full: bool  # between met and missed, not through close
    small: bool  # its group is too small to judge in either scenario
    row: int  # its row in the first summary
    other_row: int  # and in the other


def flip_direction(before: Verdict, after: Verdict, change: ChangeVerdict) -> Literal["better", "worse", ""]:
    """Which way a target flipped: better towards met, worse towards missed — only when the paired
    change of the statistic it is judged on counts the same way (``change``, from
    :func:`change_verdict` without the small-group flag): a verdict that moves only because one
    interval is narrower than the other, or by less than the threshold, has not flipped ("")."""
    rank = {v: i for i, v in enumerate(VERDICTS[:3])}  # missed, close, met
    if before == after or before not in rank or after not in rank:
        return ""
    direction = "better" if rank[after] > rank[before] else "worse"
    return direction if change == {"better": "improved", "worse": "worsened"}[direction] else ""


def target_flips(before, after, change_of) -> list[Flip]:
    """The targets that flip between two summaries (``before``: the first scenario's; rows
    matched by moment, group and tier; ``change_of(i, j)`` the :func:`change_verdict` of row ``i``
    of ``before`` against row ``j`` of ``after`` in the statistic the target is judged on, see
    :func:`flip_direction`): critical moments first, groups too small to judge after the others
    (flagged, not ranked), flips between met and missed before those through close, then in the
    order of the service cycle."""
    key = ["moment", "group", "tier"]
    position = {k: j for j, k in enumerate(after[key].itertuples(index=False, name=None))}
    out = []
    for i, k in enumerate(before[key].itertuples(index=False, name=None)):
        b = before.iloc[i]
        if not b["tier_kind"] or k not in position or b["verdict"] == after["verdict"].iloc[position[k]]:
            continue
        a = after.iloc[position[k]]
        direction = flip_direction(b["verdict"], a["verdict"], change_of(i, position[k]))
        if direction:
            out.append(Flip(str(b["moment"]), str(b["group"]), str(b["tier"]), str(b["title"]), str(b["stage"]),
                            bool(b["critical"]), b["verdict"], a["verdict"], direction,
                            {b["verdict"], a["verdict"]} == {"met", "missed"},
                            too_small(b["n"]) or too_small(a["n"]), i, position[k]))
    out.sort(key=lambda f: (not f.critical, f.small, not f.full, f.row))
    return out
