"""Writing a calibration as a scenario file: the base ``extends:``-ed, the log's numbers on top.

The file is a normal scenario a planner can read and edit. It extends the base, so resources,
rosters, pathways and moments stay where they are; it overrides each stream's demand and patches
each pathway step by name with what the log says (``takes``, ``gives_up_after``, ``assign``,
``branch``, ``wait_until``). Each value carries its evidence in a comment: how many patients, the
standard error, and for a distribution every candidate's AIC and the chosen one's
Kolmogorov-Smirnov distance. What stayed as the base says is listed at the end, with the reason.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np

from .fitting import rounded

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _key(text: str) -> str:
    """A mapping key as YAML reads it back unchanged (numbers stay labels either way)."""
    return text if re.fullmatch(r"[A-Za-z0-9_]+", text) else '"' + text.replace('"', '\\"') + '"'


def rounded_shares(counts: np.ndarray) -> list[float]:
    """Shares to four decimals that sum to exactly 1 (the difference goes to the largest)."""
    total = counts.sum()
    tenths = np.round(counts / total * 10000).astype(int)
    tenths[int(np.argmax(counts))] += 10000 - tenths.sum()
    return [t / 10000 for t in tenths]


def _shares_text(values: list[str], counts: np.ndarray) -> str:
    return "{" + ", ".join(f"{_key(v)}: {s:g}" for v, s in zip(values, rounded_shares(counts))) + "}"


def _se_text(fit) -> str:
    return ", ".join(f"{v} {s:.3f} ± {e:.3f}" for v, s, e in zip(fit.values, fit.shares, fit.se) if fit.counts.sum())


def calibration_text(cal, out: Path, command: str = "") -> str:
    """The calibrated scenario as YAML text, to be written at ``out``."""
    from ..version import __version__
    base, log = cal.base, cal.log
    model = base.model
    extends = os.path.relpath(Path(base.path).resolve(), Path(out).resolve().parent)
    lines = [*_schema_line(out),
        f"# Calibrated from the event log {log.source.name}: {log.rows:,} rows, {len(log.patients):,} patients used,",
        f"# {len(log.excluded_rows):,} rows not used; first contact {log.time_text(log.start)}, last time {log.time_text(log.end)}.",
        f"# Written by patientflow {__version__}{' (' + command + ')' if command else ''}.",
        "#",
        f"# It extends {Path(base.path).name}: resources, rosters, pathways, moments and run settings come from there;",
        "# demand, mixes, branch shares and step times from the log. Arrivals: Poisson counts by hour of the",
        "# week, fitted as hour of day x weekday and as 168 separate hours, the lower AIC written. Step times",
        "# and patience: maximum likelihood fits of exponential, lognormal, gamma and normal (truncated at 0),",
        "# times still running at the end of the log (or, for patience, ended by being served) censored; the",
        "# lowest AIC (2k - 2 log L) is written. ± is one standard error from the log; KS is the",
        "# Kolmogorov-Smirnov distance of the completed times from the chosen distribution.",
        # (the log's name without its suffix: the loader reads a name ending .csv as a file)
        f"name: {_quote(base.name + ' (calibrated from ' + log.source.stem + ')')}",
        f"description: {_quote('Demand and step times estimated from the event log ' + log.source.stem + ', on top of ' + Path(base.path).stem + '.')}",
        f"extends: {_quote(extends)}",
        "",
    ]
    lines += _demand(cal)
    lines += _pathways(cal, model)
    if cal.kept:
        lines += ["", "# Kept as the base says:"] + [f"#   {k}" for k in cal.kept]
    return "\n".join(lines) + "\n"


def _schema_line(out: Path) -> list[str]:
    """The editor's pointer to the JSON Schema, when the project's copy is at hand."""
    root = Path(__file__).resolve().parents[1]
    schema = root / "schema" / "scenario.schema.json"
    if not schema.is_file() or root not in Path(out).resolve().parents:
        return []  # an installed package, or a file outside the project
    return [f"# yaml-language-server: $schema={os.path.relpath(schema, Path(out).resolve().parent)}"]


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _demand(cal) -> list[str]:
    if not cal.arrivals and not any(s.kind == "mix" for s in cal.shares):
        return []
    lines = ["demand:"]
    for fit in cal.arrivals:
        other = "by_week" if fit.profile == "by_hour" else "hour of day x weekday"
        lines += [f"  {fit.stream}:",
                  f"    # {int(fit.counts.sum()):,} arrivals over {fit.exposure.sum() / 24:.1f} days. Profile by AIC: "
                  f"{'hour of day x weekday' if fit.profile == 'by_hour' else '168 hours of the week'} "
                  f"{min(fit.aic.values()):.1f} against {other} {max(fit.aic.values()):.1f}",
                  f"    # (deviance of hour x weekday from the 168 hours {fit.deviance:.1f} on {fit.df} df).",
                  f"    per_day: {rounded(fit.per_day)}          # ± {fit.per_day_se:.2f}",
                  "    per_hour: null"]
        if fit.profile == "by_hour":
            hours = ", ".join(f"{v:.4f}" for v in fit.by_hour)
            lines += [f"    by_hour: [{hours}]",
                      f"    by_weekday: [{', '.join(f'{v:.4f}' for v in fit.by_weekday)}]   # mon..sun, mean 1",
                      "    by_week: null"]
        else:
            lines += ["    by_hour: null", "    by_weekday: null", "    by_week: ["]
            week = fit.rate.reshape(7, 24)
            for d in range(7):
                lines.append(f"      {', '.join(f'{v:.4g}' for v in week[d])}{',' if d < 6 else ''}   # {DAYS[d]}")
            lines.append("    ]")
        mixes = [s for s in cal.shares if s.kind == "mix" and s.where == fit.stream]
        if mixes:
            lines.append("    mix:")
            for m in mixes:
                lines += [f"      # {m.n:,} patients: {_se_text(m)}",
                          f"      {m.attribute}: {_shares_text(m.values, m.counts)}"]
    return lines


def _pathways(cal, model) -> list[str]:
    patches: dict[str, dict[str, list[str]]] = {}

    def add(step: str, lines: list[str]) -> None:
        pathway = next(s.pathway for s in model.steps if s.name == step)
        patches.setdefault(pathway, {}).setdefault(step, []).extend(lines)

    for kind in ("takes", "gives_up_after"):
        steps = dict.fromkeys(d.step for d in cal.durations if d.kind == kind)
        for step in steps:
            fits = [d for d in cal.durations if d.kind == kind and d.step == step]
            add(step, _duration_lines(kind, fits))
    for kind in ("assign", "branch", "wait_until"):
        for step in dict.fromkeys(s.where for s in cal.shares if s.kind == kind):
            fits = [s for s in cal.shares if s.kind == kind and s.where == step]
            add(step, _share_lines(kind, fits))
    if not patches:
        return []
    lines = ["", "pathways:"]
    for pathway, steps in patches.items():
        lines.append(f"  {pathway}:")
        for step, body in steps.items():
            lines.append(f"    {step}:")
            lines += [f"      {line}" for line in body]
    return lines


def _fit_comment(d) -> str:
    best = d.best
    ranked = ", ".join(f"{f.name} {f.aic:.1f}" for f in d.fits) if best.name != "fixed" else "all alike to within a second"
    ks = f"; KS {best.ks:.3f} (p {best.ks_p:.2g})" if best.ks == best.ks else ""
    se = f"; mean ± {best.se_mean:.3g}, sd ± {best.se_sd:.3g} min" if best.se_mean == best.se_mean and best.name != "fixed" else ""
    what = "completed" if d.kind == "takes" else "gave up"
    censored = f", {d.censored:,} censored" if d.censored else ""
    return f"# {'' if d.group is None else d.by + ' ' + d.group + ': '}{d.n:,} {what}{censored}; AIC {ranked}{ks}{se}"


def _duration_lines(kind: str, fits) -> list[str]:
    if len(fits) == 1 and fits[0].group is None:
        return [_fit_comment(fits[0]), f"{kind}: {_quote(fits[0].best.text())}"]
    lines = [_fit_comment(d) for d in fits]
    lines.append(f"{kind}:")
    lines.append(f"  by: {fits[0].by}")
    lines += [f"  {_key(d.group)}: {_quote(d.best.text())}" for d in fits]
    return lines


def _share_lines(kind: str, fits) -> list[str]:
    if kind == "wait_until":
        fit = fits[0]
        return [f"# the hour of day of {fit.n:,} ends", f"wait_until: [{', '.join(f'{s:g}' for s in rounded_shares(fit.counts))}]"]
    lines = [f"# {'' if f.group is None else f.by + ' ' + f.group + ': '}{f.n:,} patients: {_se_text(f)}" for f in fits]
    if kind == "assign":
        by_attr: dict[str, list] = {}
        for f in fits:
            by_attr.setdefault(f.attribute, []).append(f)
        lines.append("assign:")
        for attribute, group in by_attr.items():
            if len(group) == 1 and group[0].group is None:
                lines.append(f"  {attribute}: {_shares_text(group[0].values, group[0].counts)}")
                continue
            lines.append(f"  {attribute}:")
            lines.append(f"    by: {group[0].by}")
            lines += [f"    {_key(f.group)}: {_shares_text(f.values, f.counts)}" for f in group]
        return lines
    lines.append("branch:")
    options = fits[0].values
    shares = {f.group: rounded_shares(f.counts) for f in fits}
    for k, option in enumerate(options):
        if len(fits) == 1 and fits[0].group is None:
            lines.append(f"  {_key(option)}: {{p: {shares[None][k]:g}}}")
        else:
            by_group = ", ".join(f"{_key(g)}: {s[k]:g}" for g, s in shares.items())
            lines.append(f"  {_key(option)}: {{p: {{{by_group}}}}}")
    return lines
