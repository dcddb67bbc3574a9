"""Rosters: capacity follows the shifts, nobody is interrupted, utilisation is against the roster."""

from __future__ import annotations

import numpy as np
import pytest

from helpers import one_run, scenario


def test_capacity_follows_the_shifts_overlaps_add_and_gaps_are_empty(tmp_path):
    sc = scenario(tmp_path, """
        name: Overlapping shifts
        run: {length: 7d}
        demand:
          nobody: {at: [], pathway: p}
        resources:
          nurse: {roster: {"08:00-16:00": 1, "12:00-20:00": 1, "sat,sun 22:00-06:00": 3}}
        pathways:
          p: [{s: {use: nurse}}]
        """)
    nurse = sc.model.resources[0]
    monday = [nurse.capacity_at(h * 60) for h in range(24)]
    # Monday 00:00-06:00 is the end of Sunday's night shift
    assert monday == [3] * 6 + [0] * 2 + [1] * 4 + [2] * 4 + [1] * 4 + [0] * 4
    saturday = 5 * 1440
    assert nurse.capacity_at(saturday + 23 * 60) == 3
    assert nurse.capacity_at(saturday + 1440 + 3 * 60) == 3 + 0      # Sunday 03:00, Saturday's night
    assert nurse.capacity_at(saturday + 1440 + 10 * 60) == 1         # Sunday 10:00, the day shift
    assert nurse.capacity_at(0 + 3 * 60) == 3                       # Monday 03:00: Sunday's night
    assert nurse.capacity_at(1440 + 3 * 60) == 0                    # Tuesday 03:00: nobody


def test_patients_already_in_service_finish_when_a_shift_ends(tmp_path):
    sc = scenario(tmp_path, """
        name: Shift change
        run: {length: 1d}
        demand:
          long:   {at: [930], pathway: p, set: {kind: long}}       # 15:30
          longer: {at: [930], pathway: p, set: {kind: longer}}
          late:   {at: [970], pathway: p, set: {kind: late}}       # 16:10
          early:  {at: [420], pathway: p, set: {kind: late}}       # 07:00, before anyone is on
        resources:
          doctor: {roster: {"08:00-16:00": 1, "12:00-20:00": 1}}
        pathways:
          p:
            - consult: {use: doctor, takes: {by: kind, long: 60min, longer: 90min, late: 10min}}
        """)
    _, p = one_run(sc)
    by_stream = {row["stream"]: row for _, row in p.iterrows()}
    assert by_stream["early"]["consult.start"] == pytest.approx(480)       # waits for 08:00
    assert by_stream["long"]["consult.end"] == pytest.approx(990)          # not interrupted at 16:00
    assert by_stream["longer"]["consult.end"] == pytest.approx(1020)
    # one doctor from 16:00: when the first finishes at 16:30 one is still busy, so the
    # late patient starts only at 17:00
    assert by_stream["late"]["consult.start"] == pytest.approx(1020)


def test_utilisation_is_busy_time_over_rostered_capacity(tmp_path):
    times = [d * 1440 + h * 60 for d in range(7) for h in range(8, 16)]
    sc = scenario(tmp_path, f"""
        name: Utilisation against the roster
        run: {{length: 7d, warm_up: 1d}}
        demand:
          hourly: {{at: {times}, pathway: p}}
        resources:
          clerk: {{roster: {{"08:00-16:00": 2}}, cost_per_hour: 20}}
        pathways:
          p: [{{desk: {{use: clerk, takes: 30min}}}}]
        """)
    res, _ = one_run(sc)
    util = res.utilisation().set_index("hour")
    # 08:00-15:00: one patient an hour for 30 min → 0.5 busy of 2 rostered
    np.testing.assert_allclose(util.loc[8:15, "utilisation"], 0.25)
    np.testing.assert_allclose(util.loc[8:15, "rostered"], 2)
    assert util.loc[3, "rostered"] == 0 and np.isnan(util.loc[3, "utilisation"])
    assert (util["queue"] == 0).all()
    cost = res.staff_cost().iloc[0]
    assert cost["rostered_hours_per_week"] == pytest.approx(2 * 8 * 7)
    assert cost["cost_per_week"] == pytest.approx(2 * 8 * 7 * 20)
