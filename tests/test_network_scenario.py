"""The ambulance network's scenario side (DESIGN §6): places, travel by band, fleets of units at
stations, a unit's trip to the patient, zones from shares, and derived events — read, checked with
located errors, and compiled into the model's contract. Values are checked against the CSV files
and the scenario text, not against the compiler's own helpers."""

from __future__ import annotations

import csv
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import patientflow as pf
from network_cases import SCENARIO, ZONES, line_of, matrix_rows, replace_row, write_network
from patientflow.eventlog.reader import read_event_log
from patientflow.log import derived_times
from patientflow.model import HOSPITAL, NO_TRAVEL, STATION, TO_PATIENT, TO_SITE, ZONE

ROOT = Path(__file__).resolve().parents[1]
NETWORK = ROOT / "scenarios" / "network"


@pytest.fixture(scope="module")
def network():
    return pf.load_scenario(NETWORK / "network.yaml", root=ROOT / "scenarios")


def csv_rows(path: Path) -> list[dict]:
    return list(csv.DictReader(line for line in path.read_text().splitlines() if not line.startswith("#")))


# ---------------------------------------------------------------- the bundled example
def test_the_example_lists_its_zones_then_its_stations_then_its_hospital(network):
    places = network.model.network.places
    zones = csv_rows(NETWORK / "zones.csv")
    assert [(p.name, p.kind, p.x, p.y) for p in places[:len(zones)]] == [
        (z["name"], ZONE, float(z["x_km"]), float(z["y_km"])) for z in zones]
    assert len(zones) == 8
    assert [(p.name, p.kind) for p in places[len(zones):]] == [
        ("central", STATION), ("north", STATION), ("south", STATION), ("county", HOSPITAL)]
    assert (places[-1].x, places[-1].y) == (6.3, 8.7)


def test_the_example_travels_on_a_peak_and_an_off_peak_matrix_chosen_by_the_minute_of_the_day(network):
    travel = network.model.network.travel
    assert travel.bands == ["07:00-10:00", "16:00-19:00", "other"]
    assert travel.minutes.shape == (3, 12, 12) and travel.band_by_minute.shape == (1440,)
    assert travel.band_by_minute[7 * 60] == 0 and travel.band_by_minute[10 * 60 - 1] == 0
    assert travel.band_by_minute[16 * 60] == 1 and travel.band_by_minute[19 * 60 - 1] == 1
    assert travel.band_by_minute[10 * 60] == 2 and travel.band_by_minute[0] == 2 and travel.band_by_minute[19 * 60] == 2
    names = [p.name for p in network.model.network.places]
    for band, file in ((0, "travel_peak.csv"), (1, "travel_peak.csv"), (2, "travel_offpeak.csv")):
        rows = csv_rows(NETWORK / file)
        assert len(rows) == 12 * 11
        for row in rows:
            assert travel.minutes[band, names.index(row["from"]), names.index(row["to"])] == float(row["minutes"])
        assert np.all(np.diag(travel.minutes[band]) == 0)
    assert travel.at(names.index("central"), names.index("old_town"), 8 * 60) > travel.at(
        names.index("central"), names.index("old_town"), 12 * 60)
    assert travel.variability.name == "lognormal" and travel.variability.params == (1.0, 0.2)


def test_the_example_splits_the_baselines_rostered_crews_over_three_stations(network):
    baseline = pf.load_scenario(ROOT / "scenarios" / "baseline.yaml", root=ROOT / "scenarios")
    model = network.model
    ambulance = next(r for r in model.resources if r.name == "ambulance")
    fleet = model.network.fleets[ambulance.index]
    assert fleet.station_names == ["central", "north", "south"] and fleet.dispatch == "nearest"
    assert [model.network.places[s.place].name for s in fleet.stations] == fleet.station_names
    pool = next(r for r in baseline.model.resources if r.name == "ambulance")
    total = sum(s.capacity_by_minute for s in fleet.stations)
    assert np.array_equal(total, pool.capacity_by_minute)  # the same cover at every minute of the week
    assert np.array_equal(ambulance.capacity_by_minute, pool.capacity_by_minute) and ambulance.count is None
    assert ambulance.cost_per_hour == pool.cost_per_hour and ambulance.queue_attribute == model.attributes.index("category")
    # 06:00 on Monday: central 3 + north 2 + south 2 on the day shift, none of the night shift left
    assert [int(s.capacity_by_minute[6 * 60]) for s in fleet.stations] == [3, 2, 2]


def test_the_example_dispatches_a_unit_that_mobilises_and_drives_to_the_patient(network):
    steps = {s.name: s for s in network.model.steps}
    assert steps["dispatch"].trip == [steps["mobilise"].index, steps["travel"].index]
    assert steps["travel"].travel == TO_PATIENT and steps["travel"].takes is None
    assert steps["to_hospital"].travel == TO_SITE and steps["to_hospital"].takes is None
    assert all(s.travel == NO_TRAVEL and not s.trip for s in steps.values()
               if s.name not in ("dispatch", "travel", "to_hospital"))
    assert network.model.network.site_attribute == -1
    assert network.model.network.default_site == 11  # county, the one hospital


def test_calls_come_from_the_zones_by_the_files_shares_and_cat_1_by_its_own_column(network):
    model = network.model
    zone = model.network.zone_attribute
    zones = csv_rows(NETWORK / "zones.csv")
    assert model.attributes[zone] == "zone" and model.values[zone] == [z["name"] for z in zones]
    assert model.network.zone_place == list(range(8))
    calls = next(s for s in model.streams if s.name == "emergency_calls")
    mix = next(a for a in calls.mixes if a.attribute == zone)
    assert model.attributes[mix.mix.attribute] == "category"
    cat1 = model.values[mix.mix.attribute].index("1")
    codes, cumulative = mix.mix.cases[cat1]
    assert codes == list(range(8))
    assert np.allclose(np.diff([0, *cumulative]), [float(z["share_category_1"]) for z in zones])
    assert np.allclose(np.diff([0, *mix.mix.other[1]]), [float(z["share"]) for z in zones])
    assert calls.mixes.index(mix) > [model.attributes[a.attribute] for a in calls.mixes].index("category")
    walk_ins = next(s for s in model.streams if s.name == "walk_ins")
    assert all(a.attribute != zone for a in walk_ins.mixes)  # the ED's own patients do not travel


def test_the_response_clock_is_a_derived_event_the_response_moments_start_from(network):
    model = network.model
    clock = model.event("response_clock")
    assert model.events[-1] == "response_clock" and model.events[-2] == "left"
    assert model.derived == [(clock, [(model.event("answer.start"), 0.5), (model.event("answer.end"), 0.0),
                                      (model.event("dispatch.start"), 0.0)])]
    moments = {m.name: m for m in model.moments}
    assert moments["response"].start_event == clock and moments["response"].end_event == model.event("travel.end")
    by_zone = moments["response_by_zone"]
    assert by_zone.start_event == clock and model.attributes[by_zone.by] == "zone"


def test_validate_accepts_the_example():
    done = subprocess.run([sys.executable, "-m", "patientflow.cli", "validate", "scenarios/network/network.yaml"],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert "ok" in done.stdout


def test_the_optimiser_leaves_a_fleet_alone(network, tmp_path):
    from patientflow.optimiser.space import default_vary
    assert "ambulance" not in default_vary(network) and "call_handler" in default_vary(network)
    path = write_network(tmp_path, SCENARIO + "optimise: {vary: [ambulance]}\n")
    (problem,) = problems(path)
    assert (problem.line, problem.key) == (line_of(path.read_text(), "optimise:"), "optimise.vary.ambulance")
    assert "a fleet's units are varied per station in a later part" in problem.message


# ---------------------------------------------------------------- without places, nothing changes
# engine_identity of the bundled scenarios, recorded before the network's scenario side existed
# (commit 96c944a); re-record only for a change to those files made on purpose
IDENTITIES = {
    "baseline.yaml": "d7a2beb4bf9887a31bb0fdd37746e23d5f867675a8374b42e844d849e2ab7465",
    "earlier_discharges.yaml": "0531da639d32c62efc177e2009a0757c014e8a4ef8e39b8e710e34e55e84d9e7",
    "extra_evening_triage_nurse.yaml": "810254081ecb30d9cf7a52ab1a97731bbf3967b77e42ff5b9bde9307809a6a8c",
    "more_ward_beds.yaml": "302854543707496f4b373fd8047138fa183f493c3e622c7a75c8b8230e64b0f6",
    "two_more_ambulances.yaml": "1cc15c1a817860ebe78a78b8a30cefe498ef654966a3ecde6a8ba910b8ebabc2",
}


@pytest.mark.parametrize("name", sorted(IDENTITIES))
def test_a_scenario_without_places_compiles_to_the_same_model_as_before(name):
    """Since then the bundled scenarios time the response from the ARP clock start, a derived
    event (the baseline's ``events:``): without it, each is the model it was, to the hash."""
    import dataclasses

    from patientflow.experiment.cache import engine_identity
    model = pf.load_scenario(ROOT / "scenarios" / name, root=ROOT / "scenarios").model
    assert model.network is None
    assert [model.events[e] for e, _ in model.derived] == ["response_clock"]
    assert all(s.travel == NO_TRAVEL and s.trip == [] for s in model.steps)
    derived = {e for e, _ in model.derived}
    before = dataclasses.replace(model, derived=[], events=[e for i, e in enumerate(model.events) if i not in derived])
    assert engine_identity(before) == IDENTITIES[name]


# ---------------------------------------------------------------- bad input: located, exit 2
def problems(path: Path, root: Path | None = None) -> list:
    with pytest.raises(pf.ScenarioError) as caught:
        pf.load_scenario(path, root=root)
    return caught.value.problems


def validate(path: Path) -> list[str]:
    """The lines ``patientflow validate`` prints for a bad scenario, run in its folder (it must
    exit 2, with no traceback)."""
    done = subprocess.run([sys.executable, "-m", "patientflow.cli", "validate", path.name],
                          capture_output=True, text=True, cwd=path.parent)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    return done.stderr.strip().splitlines()


def test_a_matrix_row_naming_an_unknown_place_is_located_at_its_line(tmp_path):
    rows, line = replace_row("north,a", "north,nrth,1.4")
    write_network(tmp_path, rows=rows)
    assert validate(tmp_path / "scenario.yaml") == [f"travel.csv:{line}: to: no place named 'nrth'; did you mean 'north'?"]


def test_a_fleet_station_naming_an_unknown_place(tmp_path):
    path = write_network(tmp_path, SCENARIO.replace("      north: {count: 2}", "      nort: {count: 2}"))
    line = line_of(path.read_text(), "nort:")
    assert validate(path) == [f"scenario.yaml:{line}: resources.ambulance.fleet.nort: a fleet station that is not a "
                              "place: 'nort' is not in places.stations; did you mean 'north'?"]


def test_a_fleet_station_that_is_a_hospital_not_a_station(tmp_path):
    path = write_network(tmp_path, SCENARIO.replace("      north: {count: 2}", "      county: {count: 2}"))
    (found,) = validate(path)
    assert found.startswith(f"scenario.yaml:{line_of(path.read_text(), 'county: {count')}: resources.ambulance.fleet.county: ")
    assert "a fleet station that is not a place: 'county' is a hospital, not a station" in found


def test_a_missing_matrix_row_names_the_file_and_the_pair(tmp_path):
    rows, _ = replace_row("north,a", None)
    path = write_network(tmp_path, rows=rows)
    (found,) = validate(path)
    assert found.startswith(f"scenario.yaml:{line_of(path.read_text(), 'matrix:')}: travel.matrix: 'travel.csv' gives "
                            "no time for 1 pair a unit may drive: north -> a ")


def test_a_missing_row_of_one_band_names_the_band(tmp_path):
    text = SCENARIO.replace("  matrix: travel.csv", '  matrix: {"07:00-10:00": peak.csv, other: travel.csv}')
    path = write_network(tmp_path, text)
    (tmp_path / "peak.csv").write_text("from,to,minutes\n" + "\n".join(r for r in matrix_rows() if not r.startswith("south,b,")))
    (problem,) = problems(path)
    assert (problem.line, problem.key) == (line_of(path.read_text(), '"07:00-10:00"'), "travel.matrix.07:00-10:00")
    assert problem.message.startswith("'peak.csv' (band 07:00-10:00) gives no time for 1 pair a unit may drive: south -> b")


@pytest.mark.parametrize("value, message", [
    ("-3", "a travel time is at least 0 minutes, got '-3'"),
    ("abc", "expected minutes (a number, a duration such as 90s, or inf for no road), got 'abc'"),
])
def test_a_negative_or_non_numeric_travel_time_is_located_at_its_line(tmp_path, value, message):
    rows, line = replace_row("north,a", f"north,a,{value}")
    write_network(tmp_path, rows=rows)
    assert validate(tmp_path / "scenario.yaml") == [f"travel.csv:{line}: minutes: {message}"]


def test_a_zone_no_station_can_reach(tmp_path):
    rows = [f"{r.rsplit(',', 1)[0]},inf" if r.startswith(("north,c,", "south,c,")) else r for r in matrix_rows()]
    path = write_network(tmp_path, rows=rows)
    assert validate(path) == [f"scenario.yaml:{line_of(path.read_text(), 'fleet:')}: resources.ambulance.fleet: no station "
                              "of ambulance can reach zone 'c': north -> c, south -> c are no road"]


def test_a_travel_step_outside_a_trip(tmp_path):
    path = write_network(tmp_path, SCENARIO.replace("    - on_scene: {takes: 20min}",
                                                    "    - on_scene: {takes: 20min}\n    - again: {travel: to_patient}"))
    (found,) = validate(path)
    assert found.startswith(f"scenario.yaml:{line_of(path.read_text(), 'again:')}: pathways.call.4.again.travel: "
                            "travel: to_patient is a unit's drive to the patient: it ends a fleet's trip")


def test_a_matrix_file_outside_the_root(tmp_path):
    (tmp_path / "elsewhere.csv").write_text("from,to,minutes\n" + "\n".join(matrix_rows()) + "\n")
    path = write_network(tmp_path / "inner", SCENARIO.replace("matrix: travel.csv", "matrix: ../elsewhere.csv"))
    (found,) = validate(path)
    assert found.startswith(f"scenario.yaml:{line_of(path.read_text(), 'matrix:')}: travel.matrix: '../elsewhere.csv': "
                            "it lies outside the root")
    assert "from,to" not in found  # nothing of the file is quoted


def test_a_zones_file_outside_the_root(tmp_path):
    (tmp_path / "zones_elsewhere.csv").write_text(ZONES)
    path = write_network(tmp_path / "inner", SCENARIO.replace("zones: zones.csv", "zones: ../zones_elsewhere.csv"))
    (problem,) = problems(path, root=path.parent)
    assert (problem.line, problem.key) == (line_of(path.read_text(), "zones:"), "places.zones")
    assert "it lies outside the root" in problem.message


# ---------------------------------------------------------------- more rules, through the API
def only(path: Path, key: str | None = None) -> tuple[int, str, str]:
    """The one problem of the scenario (or the one at ``key``, among the problems it leads to)."""
    (problem,) = [p for p in problems(path) if key is None or p.key == key]
    return problem.line, problem.key, problem.message


@pytest.mark.parametrize("old, new, at, key, words", [
    ("{hold: ambulance}", "{use: ambulance}", "dispatch:", "pathways.call.0.dispatch.use", "a unit is held until a step releases it"),
    ("{hold: ambulance}", "{hold: ambulance, gives_up_after: 10min}", "dispatch:", "pathways.call.0.dispatch.gives_up_after",
     "not supported yet"),
    ("{hold: ambulance}", "{hold: [ambulance, cubicle]}", "dispatch:", "pathways.call.0.dispatch.hold",
     "a fleet is taken alone: take cubicle in a step of its own"),
    ("{travel: to_patient}", "{travel: to_patient, takes: 5min}", "drive:", "pathways.call.2.drive", "no takes, use or hold"),
    ("  cubicle: {count: 5}", "  cubicle: {count: 5, dispatch: nearest}", "cubicle:", "resources.cubicle",
     "dispatch chooses among a fleet's units: give fleet too"),
    ("    queue: category", "    queue: category\n    count: 3", "ambulance:", "resources.ambulance",
     "a fleet has no count or roster of its own"),
    ("  matrix: travel.csv", '  matrix: {"07:00-10:00": travel.csv, "10:00-20:00": travel.csv}', "matrix:", "travel.matrix",
     "no band covers 00:00"),
    ("  matrix: travel.csv", '  matrix: {"07:00-10:00": travel.csv, "09:00-20:00": travel.csv, other: travel.csv}',
     "matrix:", "travel.matrix.09:00-20:00", "09:00-20:00 overlaps 07:00-10:00 (at 09:00)"),
    ("  matrix: travel.csv", "  matrix: travel.csv\n  speed: 30km/h", "travel:\n", "travel", "give either matrix"),
    ("hospitals: {county:", "hospitals: {a:", "hospitals:", "places.hospitals.a", "'a' is a zone already"),
    ("mix: {category: {1: 0.2, 2: 0.8}}", "mix: {category: {1: 0.2, 2: 0.8}, zone: {a: 0.5, d: 0.5}}", "calls:",
     "demand.calls.mix.zone", "'d' is not a zone of places"),
    ("dispatch.start]", "dispatch.strat]", "clock:", "events.clock.earliest.1", "did you mean 'dispatch.start'?"),
    ("  clock: {earliest: [arrived + 1min, dispatch.start]}",
     "  clock: {earliest: [arrived + 1min, dispatch.start]}\n  left: {earliest: [on_scene.end]}", "left:", "events.left",
     "an event the pathways record already"),
    ("hospitals: {county: [5.0, 5.0]}", "hospitals: {}", "to_hospital:", "pathways.call.4.to_hospital.travel",
     "give places.hospitals"),
])
def test_misused_fleets_travel_steps_bands_and_events_are_located(tmp_path, old, new, at, key, words):
    assert SCENARIO.count(old) == 1
    path = write_network(tmp_path, SCENARIO.replace(old, new))
    line, found_key, message = only(path, key)
    text = path.read_text()
    assert (line, found_key) == (text[: text.index(at)].count("\n") + 1, key)  # the line of its first occurrence
    assert words in message


@pytest.mark.parametrize("zones, line, key, words", [
    (ZONES.replace("0.2\n", "0.3\n"), 1, "share", "the zones' shares in column share sum to 1.1, not 1"),
    (ZONES.replace("6.0,5.0", "six,5.0"), 4, "x_km", "expected km, a finite number, got 'six'"),
    (ZONES.replace("share", "shares"), 1, "shares", "unknown column 'shares'; did you mean 'share'?"),
    (ZONES.replace("b,1.0", "a,1.0"), 3, "name", "zone 'a' again"),
    ("name,x_km,y_km,share_categry_1\na,1,9,0.5\nb,1,1,0.3\nc,6,5,0.2\n", 1, "share_categry_1", "did you mean 'category'?"),
])
def test_a_bad_zones_file_is_located_at_its_line(tmp_path, zones, line, key, words):
    path = write_network(tmp_path, zones=zones)
    (problem,) = problems(path)
    assert (Path(problem.file).name, problem.line, problem.key) == ("zones.csv", line, key)
    assert words in problem.message


def test_a_stream_reaching_a_travel_step_with_no_zone(tmp_path):
    path = write_network(tmp_path, zones="name,x_km,y_km\na,1,9\nb,1,1\nc,6,5\n")
    line, key, message = only(path)
    assert (line, key) == (line_of(path.read_text(), "calls:"), "demand.calls")
    assert "needs their zone" in message


def test_zone_shares_by_category_need_every_category_or_the_rest(tmp_path):
    path = write_network(tmp_path, zones="name,x_km,y_km,share_category_1\na,1,9,0.5\nb,1,1,0.3\nc,6,5,0.2\n")
    line, key, message = only(path)
    assert key == "places.zones" and "no zone shares for category = 2" in message
    path = write_network(tmp_path, zones="name,x_km,y_km,share_category_1,share_category_2\na,1,9,0.5,0.1\n"
                                         "b,1,1,0.3,0.1\nc,6,5,0.2,0.8\n")
    model = pf.load_scenario(path).model
    (mix,) = [a for a in model.streams[0].mixes if a.attribute == model.network.zone_attribute]
    assert mix.mix.other is None and np.allclose(mix.mix.cases[model.values[0].index("2")][1], [0.1, 0.2, 1.0])


def test_inline_zones_with_shares_by_category(tmp_path):
    zones = ("zones: {a: {at: [1, 9], share: {by: category, 1: 0.5, other: 0.4}}, b: {at: [1, 1], share: 0.3},\n"
             "          c: {at: [6, 5], share: {by: category, 1: 0.2, other: 0.3}}}")
    model = pf.load_scenario(write_network(tmp_path, SCENARIO.replace("zones: zones.csv", zones))).model
    (mix,) = [a for a in model.streams[0].mixes if a.attribute == model.network.zone_attribute]
    assert np.allclose(mix.mix.cases[model.values[0].index("1")][1], [0.5, 0.8, 1.0])
    assert np.allclose(mix.mix.other[1], [0.4, 0.7, 1.0])


def test_without_a_matrix_minutes_are_straight_line_km_times_detour_over_speed(tmp_path):
    path = write_network(tmp_path, SCENARIO.replace("  matrix: travel.csv", "  speed: 30km/h\n  detour: 1.2"))
    network = pf.load_scenario(path).model.network
    names = [p.name for p in network.places]
    assert network.travel.bands == ["all"] and np.all(network.travel.band_by_minute == 0)
    # north (0, 10) to c (6, 5): hypot(6, 5) km × 1.2 / 30 km/h × 60
    assert network.travel.minutes[0, names.index("north"), names.index("c")] == pytest.approx(math.hypot(6, 5) * 1.2 / 30 * 60)


def test_a_fleet_of_counts_and_rosters_is_one_resource_of_their_sum(tmp_path):
    model = pf.load_scenario(write_network(tmp_path)).model
    ambulance = model.resources[0]
    # north 2 all day; south 2 by day (07:00-19:00) and 1 at night
    assert ambulance.capacity_by_minute[8 * 60] == 4 and ambulance.capacity_by_minute[20 * 60] == 3
    stations = model.network.fleets[0].stations
    assert (stations[0].count, stations[0].capacity_by_minute) == (2.0, None)
    assert model.network.fleets[0].station_names == ["north", "south"]
    counts = write_network(tmp_path / "counts", SCENARIO.replace('south: {roster: {"07:00-19:00": 2, "19:00-07:00": 1}}',
                                                                  "south: {count: 3}"))
    pool = pf.load_scenario(counts).model.resources[0]
    assert (pool.count, pool.capacity_by_minute) == (5.0, None)


def test_a_variant_giving_a_fleet_replaces_the_pools_count(tmp_path):
    write_network(tmp_path)
    pooled = (tmp_path / "scenario.yaml").read_text().replace(
        '    fleet:\n      north: {count: 2}\n      south: {roster: {"07:00-19:00": 2, "19:00-07:00": 1}}\n', "    count: 3\n")
    (tmp_path / "pool.yaml").write_text(pooled.replace("{travel: to_patient}", "{takes: 5min}")
                                        .replace("{travel: to_site}", "{takes: 5min}"))
    (tmp_path / "variant.yaml").write_text("extends: pool.yaml\nname: v\nresources:\n  ambulance: {fleet: {north: {count: 4}}}\n"
                                           "pathways:\n  call:\n    drive: {takes: null, travel: to_patient}\n"
                                           "    to_hospital: {takes: null, travel: to_site}\n")
    model = pf.load_scenario(tmp_path / "variant.yaml").model
    assert model.resources[0].count == 4.0 and model.network.fleets[0].station_names == ["north"]


def test_with_several_hospitals_a_patients_site_names_one(tmp_path):
    rows = matrix_rows() + [f"{z},city,5" for z in "abc"] + [f"city,{p},5" for p in ("a", "b", "c", "north", "south")]
    text = SCENARIO.replace("hospitals: {county: [5.0, 5.0]}", "hospitals: {county: [5.0, 5.0], city: [2.0, 2.0]}")
    sited = text.replace("mix: {category: {1: 0.2, 2: 0.8}}", "mix: {category: {1: 0.2, 2: 0.8}, site: {city: 0.4, county: 0.6}}")
    network = pf.load_scenario(write_network(tmp_path, sited, rows=rows)).model.network
    model = pf.load_scenario(tmp_path / "scenario.yaml").model
    assert model.values[network.site_attribute] == ["county", "city"]  # in the order of places.hospitals
    assert [network.places[p].name for p in network.site_place] == ["county", "city"] and network.default_site == -1
    line, key, message = only(write_network(tmp_path / "unsited", text, rows=rows))
    assert key == "pathways.call.4.to_hospital.travel" and "each patient needs a site" in message
    typo = sited.replace("city: 0.4", "cty: 0.4")
    (problem,) = [p for p in problems(write_network(tmp_path / "typo", typo, rows=rows)) if p.key == "demand.calls.mix.site"]
    assert "'cty' is not a hospital of places; did you mean 'city'?" in problem.message


# ---------------------------------------------------------------- derived events
def test_derived_times_are_the_earliest_source_present_plus_its_minutes():
    nan = np.nan
    times = np.array([[10.0, 12.0, 11.0, nan],
                      [10.0, nan, 13.0, nan],
                      [nan, nan, nan, nan],
                      [10.0, 10.2, nan, nan]])
    derived_times(times, [(3, [(0, 0.5), (1, 0.0), (2, -2.0)])])
    assert times[0, 3] == 9.0  # 11 - 2 beats 10.5 and 12
    assert times[1, 3] == 10.5  # 10.5 beats 13 - 2; event 1 did not happen
    assert np.isnan(times[2, 3])  # none of its sources happened
    assert times[3, 3] == 10.2
    assert np.isnan(times[:, :3]).sum() == 5  # the sources are left as they were


def test_a_recorded_log_fills_the_derived_events_as_a_replication_does(tmp_path):
    from eventlog_cases import SCENARIO as ED, write_case
    log = write_case(tmp_path)
    text = (tmp_path / "scenario.yaml").read_text()
    (tmp_path / "scenario.yaml").write_text(text.replace("moments:\n", "events:\n  seen_or_an_hour: {earliest: "
                                                         "[assessment.start, arrived + 1h]}\nmoments:\n", 1))
    assert ED.count("moments:\n") == 1
    found = read_event_log(log)
    by_patient = dict(zip(found.patients["patient"], found.patients["seen_or_an_hour"]))
    arrived = dict(zip(found.patients["patient"], found.patients["arrived"]))
    assert by_patient["A"] - arrived["A"] == pytest.approx(30)  # seen at 08:30, half an hour after arriving
    assert by_patient["B"] - arrived["B"] == pytest.approx(60)  # seen after 85 minutes: the hour comes first
    assert by_patient["C"] - arrived["C"] == pytest.approx(60)  # never seen


def test_the_example_follows_the_schema_merged_with_its_baseline(network):
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((ROOT / "schema" / "scenario.schema.json").read_text())
    jsonschema.validate(json.loads(json.dumps(_plain(network.to_dict()))), schema)


def _plain(value):
    """The merged scenario as an editor's JSON sees it: keys as text, files as the names written."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value
