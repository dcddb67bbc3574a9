"""Targets of moments of truth, written in the planner's words.

A duration moment's target is a share within a time (``"95% within 15min"``), a mean
(``"mean 7min"`` or ``"mean <= 7min"``), or a list of such tiers (``["65% within 15min",
"95% within 30min", "100% within 60min"]``). A share moment's target bounds the share:
``"at most 5%"`` or ``"at least 95%"``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .distributions import DistributionError, parse_duration


@dataclass(frozen=True)
class Tier:
    """One target tier. ``threshold`` is in minutes (duration kinds); ``share`` is a fraction."""

    kind: str  # "within" | "mean" | "at_most" | "at_least"
    threshold: float | None
    share: float | None
    text: str

    @property
    def target_value(self) -> float:
        """The number written in summary.csv's ``target`` column."""
        return self.threshold if self.kind in ("within", "mean") else self.share  # type: ignore[return-value]


_PCT = r"(\d+(?:\.\d+)?)\s*%"
_WITHIN = re.compile(rf"^\s*{_PCT}\s+within\s+(.+?)\s*$", re.I)
_MEAN = re.compile(r"^\s*mean\s*(?:<=|≤|at most)?\s*(.+?)\s*$", re.I)
_SHARE = re.compile(rf"^\s*(at most|at least|<=|>=|≤|≥)\s*{_PCT}\s*$", re.I)


def _share(text: str) -> float:
    value = float(text) / 100
    if not 0 <= value <= 1:
        raise ValueError(f"a share must be between 0% and 100%, got {text}%")
    return value


def parse_tier(text: object, kind: str) -> Tier:
    """One tier for a moment of ``kind`` ("duration" or "share")."""
    if not isinstance(text, str):
        raise ValueError(f"expected a target such as '90% within 15min', got {text!r}")
    if kind == "share":
        match = _SHARE.match(text)
        if not match:
            raise ValueError(f"a share target reads 'at most 5%' or 'at least 95%', got {text!r}")
        word = match.group(1).lower()
        bound = "at_most" if word in ("at most", "<=", "≤") else "at_least"
        return Tier(bound, None, _share(match.group(2)), text.strip())
    match = _WITHIN.match(text)
    try:
        if match:
            return Tier("within", parse_duration(match.group(2)), _share(match.group(1)), text.strip())
        match = _MEAN.match(text)
        if match:
            return Tier("mean", parse_duration(match.group(1)), None, text.strip())
    except DistributionError as exc:
        raise ValueError(str(exc)) from None
    raise ValueError(f"a duration target reads '90% within 15min' or 'mean 7min', got {text!r}")


def parse_tiers(value: object, kind: str) -> tuple[Tier, ...]:
    """A target written as one tier or a list of tiers."""
    items = value if isinstance(value, list) else [value]
    if not items:
        raise ValueError("a target needs at least one tier")
    return tuple(parse_tier(item, kind) for item in items)
