"""Pathways that exist in no bundled file, written in YAML alone, give hand-computed timestamps."""

from __future__ import annotations

import math

import numpy as np
import pytest

from helpers import one_run, scenario

GENERAL = """
name: Registration before triage, two resources at once, a held room, a second pathway
run: {length: 1d, replications: 1, seed: 1}
demand:
  routine: {at: [0, 1, 10], pathway: front, set: {acuity: 3}}
  urgent:  {at: [2], pathway: front, set: {acuity: 1}}
resources:
  clerk:  {count: 1}
  nurse:  {count: 1, queue: acuity}     # attribute-ordered queue
  room:   {count: 2}
  doctor: {count: 1}
pathways:
  front:
    - register: {use: clerk, takes: 1min}
    - triage:   {use: nurse, takes: 4min, then: pathway care}
  care:
    - consult:    {hold: room, use: doctor, takes: 10min}   # room first, then the doctor
    - observe:    {takes: 3min}                              # still in the room
    - leave_room: {release: room, then: exit home}
"""

# patient -> event -> minutes, computed by hand (see the comments in the test)
EXPECTED = {
    "A": {"arrived": 0, "register.queued": 0, "register.start": 0, "register.end": 1,
          "triage.queued": 1, "triage.start": 1, "triage.end": 5,
          "consult.queued": 5, "consult.start": 5, "consult.end": 15, "observe.end": 18,
          "leave_room.end": 18, "left": 18},
    "B": {"arrived": 1, "register.start": 1, "register.end": 2, "triage.queued": 2,
          "triage.start": 9, "triage.end": 13, "consult.queued": 13, "consult.start": 25,
          "consult.end": 35, "observe.end": 38, "left": 38},
    "C": {"arrived": 2, "register.start": 2, "register.end": 3, "triage.queued": 3,
          "triage.start": 5, "triage.end": 9, "consult.queued": 9, "consult.start": 15,
          "consult.end": 25, "observe.end": 28, "left": 28},
    "D": {"arrived": 10, "register.start": 10, "register.end": 11, "triage.queued": 11,
          "triage.start": 13, "triage.end": 17, "consult.queued": 17, "consult.start": 35,
          "consult.end": 45, "observe.end": 48, "left": 48},
}


def test_a_pathway_written_only_in_yaml_gives_the_hand_computed_timestamps(tmp_path):
    # Triage: A is seen at 1-5; at 5 both B (acuity 3, queued at 2) and C (acuity 1, queued
    # at 3) wait: C goes first (5-9), then B (9-13), then D (13-17).
    # Consult takes a room then the doctor: A 5-15; C holds room 2 from 9 but waits for the
    # doctor until 15; B waits for a room until A frees it at 18, then for the doctor until
    # C is done at 25; D waits for a room until C frees it at 28, for the doctor until 35.
    sc = scenario(tmp_path, GENERAL)
    _, patients = one_run(sc)
    assert len(patients) == 4
    for label, (_, row) in zip("ABCD", patients.iterrows()):
        for event, minutes in EXPECTED[label].items():
            assert row[event] == pytest.approx(minutes), f"patient {label}, {event}"
        assert row["outcome"] == "home"
        assert row["stream"] == ("urgent" if label == "C" else "routine")


def test_the_same_patient_continues_into_the_second_pathway(tmp_path):
    sc = scenario(tmp_path, GENERAL)
    _, patients = one_run(sc)
    # one row per patient holds the events of both pathways
    assert patients[["register.start", "consult.start"]].notna().all().all()
    assert patients["arrived"].tolist() == [0, 1, 2, 10]


def test_a_released_resource_stays_busy_for_its_clear_up_while_the_patient_goes_on(tmp_path):
    sc = scenario(tmp_path, """
        name: Ambulance held from dispatch until handover, then cleared up
        run: {length: 1d}
        demand:
          calls: {at: [0, 1], pathway: call}
        resources:
          ambulance: {count: 1}
        pathways:
          call:
            - dispatch: {hold: ambulance, takes: 10min}
            - handover: {release: ambulance, after: 5min, takes: 2min}
        """)
    res, patients = one_run(sc)
    first, second = patients.iloc[0], patients.iloc[1]
    # the crew is held through the handover (10-12), then clears up for 5 min while the
    # patient goes on: the second call gets the ambulance at 17
    assert first["handover.end"] == pytest.approx(12)
    assert first["left"] == pytest.approx(12)
    assert second["dispatch.start"] == pytest.approx(17)
    assert second["left"] == pytest.approx(29)
    util = res.utilisation()
    hour0 = util[(util.resource == "ambulance") & (util.hour == 0)].iloc[0]
    # busy 0-17 for the first call and 17-34 for the second (released at 29, clear-up to 34)
    assert hour0["busy"] == pytest.approx(34 / 60)


def test_a_boarding_patient_keeps_the_cubicle_until_a_ward_bed_frees(tmp_path):
    sc = scenario(tmp_path, """
        name: Boarding
        run: {length: 2d}
        demand:
          patients: {at: [0, 10, 20], pathway: ed}
        resources:
          cubicle:  {count: 1}
          ward_bed: {count: 1}
        pathways:
          ed:
            - treatment: {hold: cubicle, takes: 5min}
            - bed_wait:  {hold: ward_bed, release: cubicle}
            - ward_stay: {takes: 100min}
            - go_home:   {release: ward_bed, then: exit admitted}
        """)
    _, p = one_run(sc)
    # A: cubicle 0-5, bed at 5, leaves 105. B: cubicle 10-15, boards until the bed frees at
    # 105. C: waits for the cubicle, held by boarding B, until 105; then boards until 205.
    assert p["bed_wait.start"].tolist() == pytest.approx([5, 105, 205])
    assert p["treatment.start"].tolist() == pytest.approx([0, 10, 105])
    assert p["left"].tolist() == pytest.approx([105, 205, 305])
    assert set(p["outcome"]) == {"admitted"}


def test_branches_by_probability_and_by_attribute_and_attributes_assigned_at_a_step(tmp_path):
    sc = scenario(tmp_path, """
        name: Branches
        run: {length: 20d}
        demand:
          arrivals: {per_hour: 10, pathway: p}
        resources: {}
        pathways:
          p:
            - triage:
                takes: 1min
                assign:
                  acuity: {1: 0.25, 2: 0.75}
            - decide:
                branch:
                  by: acuity
                  admit: {p: {1: 1.0, 2: 0.2}, then: exit admitted}
                  home:  {p: {1: 0.0, 2: 0.8}}
            - paperwork: {takes: 2min, then: exit discharged}
        """)
    res = __import__("patientflow").simulate(sc, replications=1, seed=3, keep_patients=1)
    p = res.patients
    n = len(p)
    assert n > 4000
    acuity1 = p["acuity"] == "1"
    assert abs(acuity1.mean() - 0.25) < 3 * math.sqrt(0.25 * 0.75 / n)
    assert (p.loc[acuity1, "outcome"] == "admitted").all()
    admitted2 = (p.loc[~acuity1, "outcome"] == "admitted").mean()
    assert abs(admitted2 - 0.2) < 3 * math.sqrt(0.2 * 0.8 / (~acuity1).sum())
    assert (p.loc[p["outcome"] == "discharged", "decide"] == "home").all()
    assert p.loc[p["outcome"] == "admitted", "paperwork.start"].isna().all()


def test_waiting_for_a_time_of_day_leaves_in_the_hours_of_the_profile(tmp_path):
    profile = [0] * 24
    profile[14] = 1  # discharges only between 14:00 and 15:00
    sc = scenario(tmp_path, f"""
        name: Ward discharges at the hours wards discharge
        run: {{length: 3d}}
        demand:
          ready: {{at: [630, 1000, 2000, 2900], pathway: ward}}
        resources: {{}}
        pathways:
          ward:
            - discharge: {{wait_until: {profile}, takes: 0}}
        """)
    _, p = one_run(sc)
    clock = p["left"] % 1440
    assert ((clock >= 840) & (clock < 900)).all()
    # the next time that clock time comes round: the same day when still ahead, else tomorrow
    assert (p["left"] - p["arrived"] < 1440).all()
    assert (p["left"] >= p["arrived"]).all()


def test_fixed_durations_give_exact_times_and_infinite_capacity_gives_no_wait(tmp_path):
    sc = scenario(tmp_path, """
        name: Unlimited
        run: {length: 2d}
        demand:
          arrivals: {per_hour: 30, pathway: p}
        resources:
          room: {count: inf}
        pathways:
          p:
            - stay: {use: room, takes: 45min}
        """)
    res, p = one_run(sc)
    assert len(p) > 1000
    np.testing.assert_array_equal(p["stay.start"], p["stay.queued"])
    np.testing.assert_allclose(p.dropna(subset=["left"])["left"] - p.dropna(subset=["left"])["arrived"], 45)
