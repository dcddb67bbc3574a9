"""The wait-time report of an event log: the simulated run's report, worded for real data.

The report itself is :func:`patientflow.report.render`, the same code that reports a simulated
run — the same service-cycle map, targets, stage charts, distributions and time-of-day pictures.
Only its words about simulation change: periods of the log instead of replications, the pathway
"as recorded", and a method section saying where the data came from and which rows were not used.
"""

from __future__ import annotations

import html

SHOWN_EXCLUSIONS = 500


def run_meta(results, log_hash: str = "") -> dict:
    """What the report's method section and ``actual.json`` say about the log and its reading."""
    from ..experiment.output import versions
    log = results.eventlog
    sc = results.scenario
    return {
        "event_log": str(log.source), "event_log_hash": log_hash, "rows": log.rows,
        "patients_used": len(log.patients), "rows_excluded": len(log.excluded_rows),
        "first_arrival": log.time_text(log.start), "last_time": log.time_text(log.end),
        "period": results.period_name, "periods": len(results.bounds),
        "scenario": sc.name, "scenario_file": str(sc.path), "scenario_hash": sc.hash,
        "mapping_file": str(log.mapping.file) if log.mapping.file else None, "notes": list(log.notes),
        # what report.render reads
        "length_minutes": float(log.end), "warm_up_minutes": 0.0, "run_seconds": 0.0,
        "random_streams": "none: recorded times", "versions": versions(), "machine": {},
    }


def render_actual(results, meta: dict) -> str:
    """The report of an event log as one self-contained HTML string."""
    from .pages import Wording, render

    log = results.eventlog
    esc = html.escape
    n, name = len(results.bounds), results.period_name
    plural = name + ("s" if n != 1 else "")
    intro = (f"<p class='headline'>Actual waits recorded in <b>{esc(log.source.name)}</b>: {log.rows:,} rows, "
             f"{len(log.patients):,} patients used, {len(log.excluded_rows):,} rows not used and "
             f"{len(log.blanked):,} fields left out (<a href='#excluded'>listed</a>); first contact {esc(log.time_text(log.start))}, last time "
             f"{esc(log.time_text(log.end))}. Measured with the moments and targets of the scenario "
             f"<i>{esc(results.scenario.name)}</i>.</p>")
    wording = Wording(
        title=f"actual waits from {log.source.name}", intro_html=intro,
        sample=f"from {n} {plural} of the log (distributions from every patient)",
        per_day="Per day of the log", mean_over=f"Mean over the log's {plural} with its 95 % confidence interval",
        pathway="as recorded", inside_at_end="patients still inside when the log ends", sample_noun=name,
        method_html=_method(results, meta))
    return render(results, meta, wording)


def _method(results, meta: dict) -> str:
    esc = html.escape
    log = results.eventlog
    rows = [
        ("event log", f"{log.source} ({log.rows:,} rows; {len(log.patients):,} patients used)"),
        ("column mapping", str(log.mapping.file) if log.mapping.file else "columns named as the scenario names them"),
        ("scenario", f"{results.scenario.name} ({results.scenario.path}, hash {results.scenario.hash})"),
        ("clock", "minutes since " + (f"Monday {log.time_text(0.0)}" if log.origin is not None else "minute 0 of the log")
         + ", the Monday 00:00 of the first arrival's week, so hours of the week match the scenario's"),
        ("periods", f"{len(results.bounds)} {results.period_name}{'s' if len(results.bounds) != 1 else ''}, "
                    "each holding the patients whose first contact falls in it"),
        ("statistics", "each statistic per period, then the mean across periods with a 95 % t-interval (none with one "
                       "period); patients without a time of leaving are still inside when the log ends and count as "
                       "open: misses once they have waited past a target"),
        ("busy and queues", "from each patient's recorded times along the scenario's steps (see patientflow.eventlog.occupancy); "
                            "rostered staff from the scenario"),
        *[("from the pathway", note) for note in log.notes],
    ]
    table = "".join(f"<tr><td>{esc(k)}</td><td>{esc(v)}</td></tr>" for k, v in rows)
    shown = log.exclusions[:SHOWN_EXCLUSIONS]
    listed = "".join(f"<tr><td>{p.line}</td><td>{esc(p.key)}</td><td>{esc(p.message)}</td></tr>" for p in shown)
    more = (f"<p>… and {len(log.exclusions) - len(shown):,} more, all in exclusions.csv.</p>"
            if len(log.exclusions) > len(shown) else "")
    excluded = (f"<table><tr><th>row</th><th>column</th><th>why it was left out</th></tr>{listed}</table>{more}"
                if shown else "<p>Every row was used.</p>")
    return (f'<h2 id="excluded">Rows and fields not used</h2><p>{len(log.excluded_rows):,} of {log.rows:,} rows '
            f"not used at all, and {len(log.blanked):,} fields left out of patients who are used, each for the "
            f"moments that need it (row 2 is a CSV file's first data row).</p>{excluded}"
            f'<h2 id="method">Method</h2><table>{table}</table>')
