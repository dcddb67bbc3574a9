"""Reading event logs: columns mapped onto a scenario, and every row that cannot be used located,
counted and listed — never dropped silently."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from eventlog_cases import HEADER, MAPPING, ROWS, write_case
from patientflow.eventlog.actual import actual_results
from patientflow.eventlog.reader import read_event_log
from patientflow.eventlog.mapping import EventLogError

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "event_log"
EVERYWHERE = Path("/")  # these files span the temporary folder and the repository: the root widened on purpose


def cli(*args):
    return subprocess.run([sys.executable, "-m", "patientflow.cli", *map(str, args)], capture_output=True, text=True)


def replaced(index: int, column: str, value: str) -> list[str]:
    """The hand-made rows with one cell changed."""
    names = HEADER.split(",")
    rows = [r.split(",") for r in ROWS]
    rows[index][names.index(column)] = value
    return [",".join(r) for r in rows]


def summary_row(found, moment, group="all"):
    s = actual_results(found).summary()
    return s[(s.moment == moment) & (s.group == group)].iloc[0]


# ------------------------------------------------------------------ errors that stop the reading
def test_a_mapped_column_missing_from_the_log_is_a_located_error(tmp_path):
    log = write_case(tmp_path)
    log.write_text(log.read_text().replace("Triage start", "Triage Start"))
    done = cli("report-actual", log, "--out", tmp_path / "out")
    assert done.returncode == 2, done.stderr
    assert re.search(rf"^{re.escape(str(log))}:1: Triage start: no such column \(named by events.triage.start in log.yaml\); "
                     r"did you mean 'Triage Start'\?$", done.stderr, re.M), done.stderr
    assert "Traceback" not in done.stderr


def test_a_mapping_naming_what_the_scenario_lacks_is_located_in_the_mapping_file(tmp_path):
    log = write_case(tmp_path, mapping=MAPPING.replace("triage.start:", "triage.strat:").replace("acuity: Acuity", "urgency: Acuity"))
    with pytest.raises(EventLogError) as caught:
        read_event_log(log)
    lines = [str(p) for p in caught.value.problems]
    mapping_lines = log.with_suffix(".yaml").read_text().splitlines()
    where = next(i for i, line in enumerate(mapping_lines, 1) if "triage.strat" in line)
    assert f"{log.with_suffix('.yaml')}:{where}: events.triage.strat: the scenario has no event 'triage.strat'; did you mean 'triage.start'?" in lines[0]
    assert any("attributes.urgency: the scenario has no attribute 'urgency'" in line for line in lines)


def test_a_log_without_a_scenario_is_told_how_to_name_one(tmp_path):
    log = write_case(tmp_path, mapping=MAPPING.replace("scenario: scenario.yaml\n", ""))
    done = cli("report-actual", log)
    assert done.returncode == 2
    assert f"{log}:1: scenario: which scenario does this log record? give --scenario SCENARIO" in done.stderr


# ------------------------------------------------------------------ fields and rows left out, and listed
def keys(problems) -> list[tuple[int, str]]:
    return [(p.line, p.key) for p in problems]


def test_an_unparseable_time_is_left_out_for_that_patient_only(tmp_path):
    log = write_case(tmp_path, replaced(1, "Triage start", "twenty to nine"))
    out = tmp_path / "out"
    done = cli("report-actual", log, "--out", out)
    assert done.returncode == 0, done.stderr
    line = (f"{log}:3: Triage start: 'twenty to nine' is not a time (expected a time such as 2025-01-06 08:14:00; "
            "set time_format: in the mapping for another format); this time is left out")
    assert line in done.stderr
    excluded = pd.read_csv(out / "exclusions.csv")
    assert excluded[["row", "column"]].values.tolist() == [[3, "Triage start"]]
    s = pd.read_csv(out / "summary.csv")
    # B has no time of triage: not in arrival to triage, but in every moment that does not use it
    assert s.query("moment == 'to_triage'")["n"].iloc[0] == 4
    assert s.query("moment == 'to_doctor' and group == 'acuity=3'")["n"].iloc[0] == 1  # B: 08:45 to 09:45
    assert s.query("moment == 'door_to_door'")["n"].iloc[0] == 4
    found = read_event_log(log, root=EVERYWHERE)
    assert len(found.patients) == 5 and found.excluded_rows == []
    assert keys(found.blanked) == [(3, "Triage start")] and found.exclusions == found.blanked
    assert np.isnan(found.patients.set_index("patient").loc["B", "triage.start"])
    model = found.scenario.model
    assert found.unknown.shape == (5, len(model.events)) and found.unknown.sum() == 1
    assert found.unknown[1, model.event("triage.start")]  # B's triage started; when is not known
    assert "1 field left out" in found.describe()
    strict = cli("report-actual", log, "--out", out, "--strict")
    assert strict.returncode == 2 and line in strict.stderr


def test_two_times_out_of_order_are_both_left_out_but_the_arrival_is_kept(tmp_path):
    rows = replaced(3, "Triage end", "2025-01-06 09:31")  # D: triage ends before it starts (09:32)
    rows[0] = rows[0].replace("2025-01-06 08:05", "2025-01-06 07:55", 1)  # A: triage before arrival
    found = read_event_log(write_case(tmp_path, rows))
    listed = [str(p) for p in found.exclusions]
    # which of D's two is wrong cannot be told: both are left out
    assert any(":5: Triage end: triage.end (2025-01-06 09:31) is before triage.start (2025-01-06 09:32): "
               "a step is queued for, started, then ended; this time is left out" in p for p in listed), listed
    assert any(":5: Triage start: triage.start (2025-01-06 09:32) is after triage.end (2025-01-06 09:31)" in p for p in listed), listed
    # A's arrival is what counts the patient at all: kept, and the time before it left out
    assert any(":2: Triage start: triage.start (2025-01-06 07:55) is before arrived (2025-01-06 08:00): "
               "nothing happens before the first contact; this time is left out" in p for p in listed), listed
    assert keys(found.blanked) == [(2, "Triage start"), (5, "Triage end"), (5, "Triage start")]
    assert found.excluded_rows == [] and list(found.patients["patient"]) == list("ABCDE")
    times = found.patients.set_index("patient")
    assert np.isnan(times.loc["A", "triage.start"]) and times.loc["A", "triage.end"] == pytest.approx(times.loc["A", "arrived"] + 10)
    assert times.loc[["D"], ["triage.start", "triage.end"]].isna().all(axis=None)
    assert summary_row(found, "door_to_door")["n"] == 4  # every one who left, D and A included


def test_the_time_out_of_order_with_most_others_is_the_one_left_out(tmp_path):
    found = read_event_log(write_case(tmp_path, replaced(0, "Triage start", "2025-01-06 18:05")))  # 08:05 mistyped
    assert keys(found.blanked) == [(2, "Triage start")]
    assert "triage.start (2025-01-06 18:05) is after triage.end (2025-01-06 08:10): a step is queued for, started, " \
           "then ended (and out of order with 1 more of the patient's times); this time is left out" == found.blanked[0].message
    a = found.patients.set_index("patient").loc["A"]
    assert np.isnan(a["triage.start"]) and not np.isnan(a[["triage.end", "assessment.start", "left"]].astype(float)).any()


def test_a_later_step_recorded_before_an_earlier_one_is_out_of_order(tmp_path):
    found = read_event_log(write_case(tmp_path, replaced(0, "Seen by doctor", "2025-01-06 08:07")))  # before triage ends
    assert keys(found.exclusions) == [(2, "Seen by doctor"), (2, "Triage end")]
    assert "assessment.start (2025-01-06 08:07) is before triage.end (2025-01-06 08:10): step assessment comes after step triage" \
        in found.exclusions[0].message
    assert len(found.patients) == 5


def test_an_arrival_out_of_order_with_every_other_time_leaves_the_patient_out(tmp_path):
    found = read_event_log(write_case(tmp_path, replaced(0, "Arrived", "2025-01-06 09:00")))  # after all of A's times
    assert found.excluded_rows == [2] and "A" not in set(found.patients["patient"])
    assert found.blanked == []
    message = found.exclusions[0].message
    assert message.startswith("arrived (2025-01-06 09:00) is after triage.start (2025-01-06 08:05): nothing happens before the "
                              "first contact (and out of order with 4 more of the patient's times)"), message
    assert message.endswith("no arrival time fits the others, so the patient is not used"), message


def test_a_patient_on_two_rows_is_used_once_if_they_are_copies_and_not_at_all_if_they_differ(tmp_path):
    changed_a = ROWS[0].replace("2025-01-06 08:50,Discharged", "2025-01-06 08:55,Discharged")
    found = read_event_log(write_case(tmp_path, [*ROWS, ROWS[1], changed_a]))
    messages = {(p.line, p.key): p.message for p in found.exclusions}
    assert messages[(7, "Attendance")] == "patient 'B' again: a copy of row 3, which is used"
    assert messages[(2, "Attendance")].startswith("patient 'A' is on rows 2, 8 with different values")
    assert (8, "Attendance") in messages
    assert sorted(found.patients["patient"]) == ["B", "C", "D", "E"]
    assert found.rows == 7 and found.excluded_rows == [2, 7, 8]


def test_an_unknown_value_is_left_out_but_a_missing_arrival_leaves_the_patient_out(tmp_path):
    rows = replaced(0, "Acuity", "7")
    rows[1] = rows[1].replace("B,2025-01-06 08:20,", "B,,")
    found = read_event_log(write_case(tmp_path, rows))
    messages = {p.line: f"{p.key}: {p.message}" for p in found.exclusions}
    assert messages[2] == ("Acuity: acuity '7' is not one the scenario knows (2, 3); translate it under values: acuity: "
                           "in the mapping; this value is left out")
    assert messages[3] == "Arrived: no arrival time: a patient is counted from its first contact"
    assert found.excluded_rows == [3] and keys(found.blanked) == [(2, "Acuity")]
    assert list(found.patients["patient"]) == ["A", "C", "D", "E"]
    assert found.patients.set_index("patient").loc["A", "acuity"] is None
    assert summary_row(found, "to_triage")["n"] == 4  # A counts where acuity does not matter
    assert summary_row(found, "to_doctor", "acuity=2")["n"] == 1  # D only


def test_an_unknown_stream_still_leaves_the_patient_out(tmp_path):
    mapping = MAPPING.replace("patient: Attendance", "patient: Attendance\nstream: Outcome")
    rows = [r.replace(",Discharged", ",walk_ins").replace(",Did not wait", ",walk_ins") for r in ROWS]
    rows[4] = rows[4] + "helicopter"  # E's stream
    found = read_event_log(write_case(tmp_path, rows, mapping.replace("outcome: Outcome\n", "")))
    assert found.excluded_rows == [6] and found.blanked == []
    assert "stream 'helicopter' is not one the scenario knows" in found.exclusions[0].message


def test_a_left_out_time_still_says_the_event_happened(tmp_path):
    """Without an outcome column the outcome is told from the times: a time left out says the
    event happened, only not when — A, seen by a doctor and gone, did not leave unseen."""
    rows = replaced(0, "Seen by doctor", "half past eight")
    rows = [rows[0].replace("2025-01-06 08:50,Discharged", "later,Discharged"), *rows[1:]]  # and an unusable time of leaving
    found = read_event_log(write_case(tmp_path, rows, MAPPING.replace("outcome: Outcome\n", "")))
    assert keys(found.blanked) == [(2, "Left"), (2, "Seen by doctor")]
    a = found.patients.set_index("patient").loc["A"]
    assert a["outcome"] == "discharged"  # not inside (it left), not left_without_being_seen (it was seen)
    # the time of leaving is one the pathway fixes: A's journey ran to its exit when the doctor was done
    assert a["left"] == pytest.approx(a["assessment.end"]) and np.isnan(a["assessment.start"])


def test_an_unknown_outcome_is_told_from_the_times_or_the_patient_is_left_out(tmp_path):
    log = tmp_path / "log.csv"
    frame = pd.read_csv(EXAMPLE / "ed_attendances.csv", dtype=str, keep_default_na=False)
    treated = frame.index[(frame.outcome == "See and treat")][0]  # an ambulance patient treated at the scene
    home = frame.index[(frame.outcome == "Discharged")][0]  # a walk-in sent home
    frame.loc[[treated, home], "outcome"] = "Transferred"
    frame.to_csv(log, index=False)
    mapping = (EXAMPLE / "ed_attendances.yaml").read_text().replace("scenario: scenario.yaml", f"scenario: {EXAMPLE / 'scenario.yaml'}")
    log.with_suffix(".yaml").write_text(mapping)
    found = read_event_log(log, root=EVERYWHERE)
    listed = [(p.line, p.key, p.message) for p in found.exclusions]
    unknown = ("outcome 'Transferred' is not one the scenario knows (completed, abandoned, advice_only, treated_at_scene, "
               "left_without_being_seen, admitted, discharged, inside); translate it under values: outcome: in the mapping; "
               "this value is left out")
    # treated at the scene: the times allow one outcome; sent home after a decision: admitted or discharged
    assert sorted(listed) == listed == sorted([
        (treated + 2, "outcome", unknown), (home + 2, "outcome", unknown),
        (home + 2, "outcome", "no usable outcome, and the times allow several (admitted, discharged): the patient is not used")])
    assert found.patients.set_index("patient").loc[frame.attendance_id[treated], "outcome"] == "treated_at_scene"
    assert keys(found.blanked) == [(treated + 2, "outcome")] and found.excluded_rows == [home + 2]


def test_times_read_to_the_second_print_back_exactly_as_the_log_wrote_them():
    found = read_event_log(EXAMPLE / "ed_attendances.csv")
    frame = pd.read_csv(EXAMPLE / "ed_attendances.csv", dtype=str, keep_default_na=False)
    arrivals = frame.call_received.where(frame.call_received != "", frame.arrival_time)
    every = sorted(t for t in frame.to_numpy().ravel() if t.startswith("2025-"))  # every time the log records
    assert found.time_text(found.start) == arrivals.min() == "2025-01-06 00:06:24"
    assert found.time_text(found.end) == every[-1] == "2025-02-02 23:59:27"
    assert "from 2025-01-06 00:06:24 to 2025-02-02 23:59:27" in found.describe()
    patients = found.patients.set_index("patient")
    assert [found.time_text(t) for t in patients.loc[frame.attendance_id, "arrived"]] == arrivals.tolist()
    # minutes since the Monday are whole seconds to far better than the 1e-9 minutes targets allow
    minutes = found.patients[found.scenario.model.events].to_numpy(float)
    seconds = minutes[~np.isnan(minutes)] * 60
    assert np.max(np.abs(seconds - np.round(seconds))) < 1e-8


def test_values_are_translated_and_blank_outcomes_told_from_the_times(tmp_path):
    mapping = MAPPING.replace("outcome: Outcome\n", "").replace("attributes:\n  acuity: Acuity",
                                                                 "attributes:\n  acuity: Acuity\nvalues_placeholder: 1")
    mapping = mapping.replace("values_placeholder: 1\n", "").replace("values:\n", "values:\n  acuity: {Urgent: 2, Standard: 3}\n")
    rows = [r.replace(",2,", ",Urgent,").replace(",3,", ",Standard,") for r in ROWS]
    found = read_event_log(write_case(tmp_path, rows, mapping))
    outcome = dict(zip(found.patients["patient"], found.patients["outcome"]))
    # C queued for the doctor and left unseen: gave up; A, B, D ran to the only exit; E is inside
    assert outcome == {"A": "discharged", "B": "discharged", "C": "left_without_being_seen", "D": "discharged", "E": "inside"}
    assert list(found.patients["acuity"]) == ["2", "3", "3", "2", "3"]


def test_a_log_in_the_scenarios_own_names_needs_no_mapping(tmp_path):
    found = read_event_log(write_case(tmp_path))
    frame = found.patients[["patient", "arrived", "triage.start", "triage.end", "assessment.start", "assessment.end",
                            "left", "acuity", "outcome"]]
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "scenario.yaml").write_text((tmp_path / "scenario.yaml").read_text())
    frame.to_parquet(plain / "patients.parquet")  # times in minutes, as patients.parquet has them
    again = read_event_log(plain / "patients.parquet", plain / "scenario.yaml")
    assert again.exclusions == []
    assert summary_row(again, "door_to_door")["mean"] == pytest.approx(79.0)
    assert again.origin is None and again.start == pytest.approx(found.start)


def test_a_parquet_log_with_date_times_reads_like_the_csv(tmp_path):
    csv = write_case(tmp_path)
    frame = pd.read_csv(csv, dtype=str, keep_default_na=False)
    for column in ("Arrived", "Triage start", "Triage end", "Seen by doctor", "Doctor done", "Left"):
        frame[column] = pd.to_datetime(frame[column].replace("", None))
    frame["Acuity"] = frame["Acuity"].astype(float)  # numbers come back as floats: 2.0 is 2
    frame.to_parquet(tmp_path / "log.parquet")
    (tmp_path / "log.yaml").rename(tmp_path / "mapping.yaml")
    found = read_event_log(tmp_path / "log.parquet", columns=tmp_path / "mapping.yaml")
    assert found.exclusions == [] and len(found.patients) == 5
    assert summary_row(found, "to_doctor", "acuity=2")["mean"] == pytest.approx(15.0)


# ------------------------------------------------------------------ one row per event
def long_rows(wide_rows: list[str]) -> list[str]:
    names = HEADER.split(",")
    out = ["Attendance,Activity,Time,Acuity,Outcome"]
    for r in wide_rows:
        cells = dict(zip(names, r.split(",")))
        for activity in ("Arrived", "Triage start", "Triage end", "Seen by doctor", "Doctor done", "Left"):
            if cells[activity]:
                out.append(f"{cells['Attendance']},{activity},{cells[activity]},{cells['Acuity']},{cells['Outcome']}")
    return out


LONG_MAPPING = MAPPING.replace("patient: Attendance", "format: long\nlong: {event: Activity, time: Time}\npatient: Attendance")


def test_a_long_log_one_row_per_event_reads_like_the_wide_one(tmp_path):
    (tmp_path / "wide").mkdir()
    (tmp_path / "long").mkdir()
    wide = read_event_log(write_case(tmp_path / "wide"))
    log = write_case(tmp_path / "long", mapping=LONG_MAPPING)
    log.write_text("\n".join(long_rows(ROWS) + ["A,X-ray,2025-01-06 08:35,2,Discharged"]) + "\n")
    found = read_event_log(log, root=EVERYWHERE)
    assert len(found.patients) == 5
    events = ["arrived", "triage.start", "triage.end", "assessment.start", "left"]
    assert np.allclose(found.patients[events].to_numpy(float), wide.patients[events].to_numpy(float), equal_nan=True)
    assert [str(p).split(": ", 1)[1] for p in found.exclusions] == [
        "Activity: 1 row(s) of event 'X-ray', which the mapping does not name, are not used (rows 27)"]


def test_a_long_log_event_recorded_twice_with_different_times_is_left_out(tmp_path):
    log = write_case(tmp_path, mapping=LONG_MAPPING)
    rows = long_rows(ROWS) + ["B,Triage start,2025-01-06 08:41,3,Discharged"]
    log.write_text("\n".join(rows) + "\n")
    found = read_event_log(log, root=EVERYWHERE)
    b = found.patients.set_index("patient").loc["B"]
    assert np.isnan(b["triage.start"]) and not np.isnan(b["triage.end"])
    assert [(p.line, p.message) for p in found.blanked] == [
        (len(rows), "event 'Triage start' of patient 'B' is recorded again (first on row 9) with another time: "
                    "which is right cannot be told; this time is left out")]
    assert found.excluded_rows == []


def test_a_long_log_time_that_does_not_parse_is_left_out_for_that_event(tmp_path):
    log = write_case(tmp_path, mapping=LONG_MAPPING)
    rows = long_rows(ROWS)
    at = next(i for i, r in enumerate(rows) if r.startswith("B,Seen by doctor"))
    rows[at] = "B,Seen by doctor,quarter to ten,3,Discharged"
    rows.append("F,Arrived,soon,3,")  # an arrival that does not parse: F has no arrival time
    log.write_text("\n".join(rows) + "\n")
    found = read_event_log(log, root=EVERYWHERE)
    assert keys(found.blanked) == [(at + 1, "Time")]
    assert found.blanked[0].message.startswith("'quarter to ten' is not a time") and found.blanked[0].message.endswith(
        "; this time is left out")
    assert np.isnan(found.patients.set_index("patient").loc["B", "assessment.start"])
    assert list(found.patients["patient"]) == list("ABCDE") and found.excluded_rows == [len(rows)]


# ------------------------------------------------------------------ the bundled log
def test_the_bundled_log_gives_back_every_time_the_simulation_recorded():
    sys.path.insert(0, str(EXAMPLE))
    try:
        from make_log import simulated_patients
    finally:
        sys.path.remove(str(EXAMPLE))
    simulated = simulated_patients().reset_index(drop=True)
    found = read_event_log(EXAMPLE / "ed_attendances.csv")
    assert found.exclusions == [] and len(found.patients) == len(simulated)
    model = found.scenario.model
    # the log has no column for when each resource of a step was taken, when a time of day came or
    # when a crew was clear (the engine's detail for where the wait goes): those stay blank
    detail = [model.events[e] for s in model.steps for e in (*s.got, s.reached, s.cleared) if e >= 0]
    assert detail and found.patients[detail].isna().all().all()
    events = [e for e in model.events if e not in detail]
    got = found.patients[events].to_numpy(float)
    want = simulated[events].to_numpy(float)
    # times written to the second; the blank ones the pathway fixes are filled back in
    assert np.array_equal(np.isnan(got), np.isnan(want))
    assert np.nanmax(np.abs(got - want)) <= 0.5 / 60 + 1e-9
    for attribute in model.attributes:
        given = simulated[attribute].astype(object).where(simulated[attribute].notna(), None).tolist()
        assert found.patients[attribute].tolist() == given, attribute
    assert list(found.patients["outcome"]) == [str(o) for o in simulated["outcome"]]


def test_branch_options_the_log_leaves_out_are_told_from_the_times(tmp_path):
    mapping = (EXAMPLE / "ed_attendances.yaml").read_text()
    mapping = mapping.replace("scenario: scenario.yaml", f"scenario: {EXAMPLE / 'scenario.yaml'}")
    mapping = mapping.replace("  scene_outcome: scene_outcome\n", "").replace("  decision: disposition\n", "")
    (tmp_path / "mapping.yaml").write_text(mapping)
    full = read_event_log(EXAMPLE / "ed_attendances.csv")
    told = read_event_log(EXAMPLE / "ed_attendances.csv", columns=tmp_path / "mapping.yaml", root=EVERYWHERE)
    for branch in ("scene_outcome", "decision"):
        known, truly = told.patients[branch].notna(), full.patients[branch].notna()
        assert not (known & ~truly).any(), branch  # never an option for a patient who did not pass the branch
        assert known[truly].mean() > 0.99, branch  # only some still inside at the end cannot be told
        assert (told.patients.loc[known, branch] == full.patients.loc[known, branch]).all(), branch
    assert any(note.startswith("decision: the option taken was told from the times") for note in told.notes)
