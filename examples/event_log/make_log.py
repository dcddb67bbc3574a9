"""Write the bundled synthetic event log: ed_attendances.csv, simulated from scenario.yaml.

No real patient is in it. One replication of scenario.yaml is run; the patients whose first
contact falls in the four weeks after the warm-up are written in the column layout of a service's
own data (ambulance dispatch times and ED attendance times, linked by one id), as date-times from
Monday 6 January 2025. ed_attendances.yaml says how those columns map onto the scenario.

    python examples/event_log/make_log.py            # rewrites ed_attendances.csv
"""

from __future__ import annotations

from pathlib import Path

import patientflow as pf
from patientflow.eventlog.writer import event_log_frame, write_event_log

HERE = Path(__file__).parent
SEED = 2025
WEEKS = 4

# log column: scenario name (an event, an attribute, patient or outcome)
LAYOUT = {
    "attendance_id": "patient",
    "arrival_mode": "mode",
    "call_received": "answer.queued",
    "call_answered": "answer.start",
    "call_category": "category",
    "call_triaged": "answer.end",
    "call_disposition": "disposition",
    "ambulance_requested": "dispatch.queued",
    "ambulance_assigned": "dispatch.start",
    "at_scene": "travel.end",
    "left_scene": "on_scene.end",
    "scene_outcome": "scene_outcome",
    "at_hospital": "handover.queued",
    "handover_start": "handover.start",
    "handover_complete": "handover.end",
    "arrival_time": "ed_arrival",
    "triage_start": "triage.start",
    "triage_end": "triage.end",
    "acuity": "acuity",
    "seen_by_clinician": "assessment.start",
    "assessment_end": "assessment.end",
    "decision_time": "treatment.end",
    "disposition": "decision",
    "departure": "left",
    "outcome": "outcome",
}
# scenario labels in the log's words
VALUES = {
    "mode": {"ambulance": "Ambulance", "walk_in": "Walk-in"},
    "disposition": {"advice_only": "Hear and treat", "ambulance": "Ambulance sent"},
    "scene_outcome": {"treated_at_scene": "See and treat", "conveyed": "Conveyed"},
    "decision": {"admit": "Admitted", "home": "Discharged"},
    "outcome": {"abandoned": "Call abandoned", "advice_only": "Hear and treat", "treated_at_scene": "See and treat",
                "left_without_being_seen": "Left before treatment", "admitted": "Admitted", "discharged": "Discharged",
                "inside": ""},
}


def simulated_patients(scenario_path: Path = HERE / "scenario.yaml", weeks: int = WEEKS, seed: int = SEED):
    """The patients of ``weeks`` after the warm-up of one replication, times from the warm-up's end."""
    sc = pf.load_scenario(scenario_path)
    warm = sc.spec.run.warm_up
    sc = sc.with_changes({"run.length": f"{warm + weeks * 10080}min"})
    res = pf.simulate(sc, replications=1, seed=seed, keep_patients=1)
    patients = res.patients
    patients = patients[patients["arrived"] >= warm].copy()
    events = [e for e in sc.model.events]
    patients[events] = patients[events] - warm  # the warm-up is whole weeks: minute 0 stays a Monday 00:00
    patients["patient"] = range(1, len(patients) + 1)
    return patients


def main() -> None:
    frame = event_log_frame(simulated_patients(), LAYOUT, VALUES, id_prefix="RV")
    write_event_log(frame, HERE / "ed_attendances.csv")
    print(f"wrote {HERE / 'ed_attendances.csv'}: {len(frame)} patients")


if __name__ == "__main__":
    main()
