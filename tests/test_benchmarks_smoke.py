"""The benchmark script runs from a clone and reports every figure (never its speed: no timing
assertions here; the figures themselves are in benchmarks/README.md)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

EXPECTED = {
    "walk_in_patients", "patientflow_patients_per_second", "idiomatic_patients_per_second",
    "expert_patients_per_second", "generality_ratio", "expert_ratio", "simulate_patients_per_second",
    "patientflow_events_per_second", "bare_simpy_events_per_second", "engine_share",
    "patientflow_events_per_patient", "idiomatic_events_per_patient",
    "baseline_year_seconds", "baseline_year_patients_per_second", "import_seconds", "import_api_seconds",
    "parallel_speedup", "parallel_speedup_warm", "parallel_ceiling", "parallel_efficiency",
    "peak_rss_10_mib", "peak_rss_100_mib", "peak_rss_100_collected_mib", "memory_growth",
    "short_replication_ratio", "compare_after_run_ratio", "optimise_baseline_seconds",
    "network_patients_per_second", "network_time_ratio",
}
SKIPPABLE = {"parallel_speedup_warm"}  # not measured in quick mode
NEED_BASELINE = {"baseline_year_seconds", "baseline_year_patients_per_second", "parallel_speedup",
                 "parallel_speedup_warm", "parallel_ceiling", "parallel_efficiency", "peak_rss_10_mib",
                 "peak_rss_100_mib", "peak_rss_100_collected_mib", "memory_growth", "compare_after_run_ratio",
                 "optimise_baseline_seconds"}


@pytest.mark.slow  # the whole benchmark script, every part (about a minute)
def test_quick_benchmark_prints_every_figure_as_json():
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick"],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr
    figures = {}
    for line in done.stdout.splitlines():
        if line.startswith("{"):
            row = json.loads(line)
            assert set(row) >= {"name", "value", "unit"}, row
            assert row["name"] not in figures, f"{row['name']} printed twice"
            figures[row["name"]] = row
    assert set(figures) == EXPECTED
    skippable = SKIPPABLE | (NEED_BASELINE if not (ROOT / "scenarios" / "baseline.yaml").exists() else set())
    for name, row in figures.items():
        if row["value"] is None:
            assert name in skippable, f"{name} was not measured"
            continue
        assert isinstance(row["value"], (int, float)) and math.isfinite(row["value"]), row
        assert isinstance(row["unit"], str) and row["unit"], row
    assert "same model" in done.stdout.lower()  # the check of equal mean waits is printed
    for goal in ("generality_ratio", "expert_ratio", "import_seconds"):
        assert any(line.startswith(goal) and ("PASS" in line or "MISS" in line) for line in done.stdout.splitlines())
