"""The ambulance network in the engine: units sent by the arrival they make, travel read from the
matrix, units on the road sent on from where they are, and vehicle time that adds up.

Each test writes a small network scenario (places, a travel matrix, a fleet) and checks what the
engine did against the rule, recomputed here from the unit log and the matrix by brute force."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

import patientflow as pf
from patientflow.engine.replication import simulate_replication
from patientflow.engine.travel import from_the_road
from patientflow.log import UNIT_COLUMNS
from patientflow.model import VEHICLE_STATES

C = {name: i for i, name in enumerate(UNIT_COLUMNS)}
S = {name: i for i, name in enumerate(VEHICLE_STATES)}

POOL_CALL = """\
    - dispatch: {{hold: ambulance}}
    - mobilise: {{takes: {mobilise}}}
    - drive: {drive}
    - on_scene: {{takes: {on_scene}}}
    - to_hospital: {to_hospital}
    - handover: {{hold: cubicle, takes: {handover}, release: ambulance, after: 5min, mark: ed_arrival}}
    - treat: {{takes: {treat}, release: cubicle}}
"""

ROSTER = '{"06:00-18:00": 3, "18:00-06:00": 2, "10:00-14:00": 1}'


def _pool(drive: str, on_scene: str, to_hospital: str, handover: str, treat: str, mobilise: str = "2min") -> str:
    steps = POOL_CALL.format(mobilise=mobilise, drive="{takes: " + drive + "}", on_scene=on_scene,
                             to_hospital="{takes: " + to_hospital + "}", handover=handover, treat=treat)
    return f"""\
name: pool
run: {{length: 6d, warm_up: 1d, replications: 4, seed: 5}}
demand:
  calls: {{per_day: 48, pathway: call, mix: {{category: {{1: 0.2, 2: 0.8}}}}}}
resources:
  ambulance: {{roster: {ROSTER}, queue: category, cost_per_hour: 85}}
  cubicle: {{count: 5}}
pathways:
  call:
{steps}
moments:
  response: {{stage: transfer, from: arrived, to: drive.end, by: category, target: 90% within 15min}}
  handover_wait: {{stage: reception, from: handover.queued, to: handover.start, target: 95% within 15min}}
"""


def _network_of(pool: str, minutes: float, variability: str | None = None) -> str:
    """The pool scenario as a network: one zone, one station at the hospital, ``minutes`` between."""
    text = pool.replace("name: pool", "name: network")
    text = text.replace(f"ambulance: {{roster: {ROSTER}, queue: category, cost_per_hour: 85}}",
                        f"ambulance: {{fleet: {{base: {{roster: {ROSTER}}}}}, queue: category, cost_per_hour: 85}}")
    text = text.replace("- drive: {takes: ", "- drive: {travel: to_patient, _was: ").replace(
        "- to_hospital: {takes: ", "- to_hospital: {travel: to_site, _was: ")
    lines = [line if "_was:" not in line else line.split(", _was:")[0] + "}" for line in text.splitlines()]
    speed = 1.0 / minutes * 60  # km/h over 1 km
    varies = f', variability: "{variability}"' if variability else ""
    extra = f"""\
places:
  zones: {{town: {{at: [1.0, 0.0], share: 1}}}}
  stations: {{base: [0.0, 0.0]}}
  hospitals: {{county: [0.0, 0.0]}}
travel: {{speed: {speed!r}km/h{varies}}}
"""
    return "\n".join(lines) + "\n" + extra


def _write(tmp_path, name: str, text: str):
    path = tmp_path / f"{name}.yaml"
    path.write_text(text)
    return pf.load_scenario(path)


FIXED = dict(drive="10min", on_scene="20min", to_hospital="10min", handover="15min", treat="90min")
RANDOM = dict(drive="lognormal(mean 10min, sd 3min)", on_scene="lognormal(mean 20min, sd 8min)",
              to_hospital="lognormal(mean 10min, sd 3min)", handover="lognormal(mean 15min, sd 5min)",
              treat="lognormal(mean 90min, sd 30min)")


def test_a_network_of_one_zone_and_a_station_at_the_hospital_gives_the_pool_scenarios_results(tmp_path):
    pool = _write(tmp_path, "pool", _pool(**FIXED))
    network = _write(tmp_path, "network", _network_of(_pool(**FIXED), 10.0))
    assert network.model.network is not None and pool.model.network is None
    for replication in range(3):
        a = simulate_replication(pool.model, 5, replication)
        b = simulate_replication(network.model, 5, replication)
        events = [e for e in pool.model.events]
        same = [network.model.events.index(e) for e in events]
        np.testing.assert_array_equal(a.times, b.times[:, same])
        np.testing.assert_array_equal(a.busy, b.busy)
        np.testing.assert_array_equal(a.rostered, b.rostered)
        np.testing.assert_array_equal(a.queue, b.queue)
    left = pf.simulate(pool, cache=False).summary()
    right = pf.simulate(network, cache=False).summary()
    numbers = ["n", "mean", "p90", "within_target", "mean_ci_low", "mean_ci_high"]
    np.testing.assert_array_equal(left[numbers].to_numpy(), right[numbers].to_numpy())


def test_with_random_times_the_network_and_the_pool_agree_within_their_paired_intervals(tmp_path):
    """Drives drawn from a lognormal in the pool, from the matrix times a lognormal multiplier of
    the same mean and spread in the network: the same patients, so the paired difference of each
    moment's mean is inside its 99 % interval around 0."""
    from scipy import stats
    pool = _write(tmp_path, "pool", _pool(**RANDOM))
    network = _write(tmp_path, "network", _network_of(_pool(**RANDOM), 10.0, "lognormal(mean 1, sd 0.3)"))
    n = 12
    a = pf.simulate(pool, replications=n, cache=False).per_replication
    b = pf.simulate(network, replications=n, cache=False).per_replication
    mean = 1  # STATS column of the mean
    diff = b[:, :, mean] - a[:, :, mean]
    keep = ~np.isnan(diff).any(axis=0)
    half = stats.t.ppf(0.995, n - 1) * diff[:, keep].std(axis=0, ddof=1) / math.sqrt(n)
    assert np.all(np.abs(diff[:, keep].mean(axis=0)) <= half + 1e-12)
    assert np.any(diff[:, keep] != 0), "the network draws its own trips: not the pool's numbers exactly"


# ------------------------------------------------------------------ arrives first
THREE_STATIONS = """\
name: three stations
run: {{length: 5d, warm_up: 0d, replications: 2, seed: 11}}
demand:
  calls: {{per_day: 45, pathway: call, mix: {{category: {{1: 0.15, 2: 0.6, 3: 0.25}}}}}}
resources:
  ambulance:
    fleet: {{north: {{roster: {{"07:00-19:00": 2, "19:00-07:00": 1}}}}, south: {{count: 2}}, east: {{roster: {{"08:00-20:00": 2}}}}}}
    queue: category
    dispatch: {dispatch}
    cost_per_hour: 85
  cubicle: {{count: 6}}
places:
  zones:
    a: {{at: [0, 0], share: 0.15}}
    b: {{at: [4, 1], share: 0.1}}
    c: {{at: [8, 0], share: 0.15}}
    d: {{at: [12, 3], share: 0.1}}
    e: {{at: [2, 9], share: 0.15}}
    f: {{at: [6, 12], share: 0.1}}
    g: {{at: [11, 10], share: 0.15}}
    h: {{at: [14, 14], share: 0.1}}
  stations: {{north: [5, 11], south: [3, 1], east: [13, 6]}}
  hospitals: {{county: [7, 5]}}
travel: {{speed: 40km/h, detour: 1.3}}
pathways:
  call:
    - dispatch: {{hold: ambulance}}
    - mobilise: {{takes: {{by: category, 1: 1min, other: 3min}}}}
    - drive: {{travel: to_patient}}
    - on_scene: {{takes: "lognormal(mean 30min, sd 10min)"}}
    - scene: {{branch: {{left_at_scene: {{p: 0.3, then: exit treated_at_scene}}, conveyed: 0.7}}}}
    - to_hospital: {{travel: to_site}}
    - handover: {{hold: cubicle, takes: "lognormal(mean 15min, sd 5min)", release: ambulance, after: 5min}}
    - treat: {{takes: "lognormal(mean 60min, sd 20min)", release: cubicle}}
moments:
  response: {{stage: transfer, from: arrived, to: drive.end, by: zone, target: 90% within 15min}}
"""


def _rows(log) -> np.ndarray:
    assert log.units is not None and len(log.units)
    return log.units


def _place_at(rows_of_unit: np.ndarray, t: float, matrix_at) -> tuple | None:
    """Where a unit free at ``t`` is, from its row covering ``t``: ('at', place), ('road', from,
    to, share done), or None when it is not free then."""
    covering = rows_of_unit[(rows_of_unit[:, C["start"]] <= t) & (t < rows_of_unit[:, C["end"]])]
    if len(covering) and (covering[:, C["state"]] == S["run_over"]).any():
        return None  # going off duty
    for row in covering:
        state = int(row[C["state"]])
        if state == S["at_station"]:
            return ("at", int(row[C["origin"]]))
        if state == S["returning"]:
            origin, destination = int(row[C["origin"]]), int(row[C["destination"]])
            planned = matrix_at(row[C["start"]])[origin][destination]
            return ("road", origin, destination, (t - row[C["start"]]) / planned)
    return None


def _eta(where, zone: int, matrix) -> float:
    if where[0] == "at":
        return matrix[where[1]][zone]
    _, a, b, f = where
    return min(f * matrix[a][b] + matrix[a][zone], (1 - f) * matrix[a][b] + matrix[b][zone])


def _dispatch_violations(scenario, replications=2) -> tuple[int, int]:
    """(dispatches checked, dispatches where another unit free at that moment would have arrived
    sooner), by brute force over the unit log and the travel matrix."""
    travel = scenario.model.network.travel

    def matrix_at(t: float):
        return travel.minutes[travel.band_by_minute[int(t % 1440)]]

    checked = wrong = 0
    for replication in range(replications):
        rows = _rows(simulate_replication(scenario.model, 11, replication))
        identity = rows[:, [C["resource"], C["station"], C["number"]]]
        units = {tuple(u): rows[(identity == u).all(axis=1)] for u in np.unique(identity, axis=0)}
        for row in rows[rows[:, C["state"]] == S["mobilising"]]:
            t, zone = row[C["start"]], int(row[C["destination"]])
            chosen = tuple(row[[C["resource"], C["station"], C["number"]]])
            mine = units[chosen]
            before = mine[(mine[:, C["end"]] == t) & (mine[:, C["state"]] != S["run_over"])]
            state = int(before[0, C["state"]]) if len(before) else S["at_station"]
            matrix = matrix_at(t)
            if state == S["returning"]:
                b = before[0]
                a_, b_ = int(b[C["origin"]]), int(b[C["destination"]])
                own = _eta(("road", a_, b_, (t - b[C["start"]]) / matrix_at(b[C["start"]])[a_][b_]), zone, matrix)
            else:
                own = matrix[int(row[C["origin"]])][zone]
            others = [_eta(w, zone, matrix) for u, r in units.items() if u != chosen
                      for w in [_place_at(r, t, matrix_at)] if w is not None]
            checked += 1
            wrong += bool(others) and min(others) < own - 1e-9
    return checked, wrong


def test_every_dispatch_sends_the_free_unit_that_arrives_first(tmp_path):
    scenario = _write(tmp_path, "nearest", THREE_STATIONS.format(dispatch="nearest"))
    checked, wrong = _dispatch_violations(scenario)
    assert checked > 300
    assert wrong == 0


def test_the_arrives_first_check_catches_a_first_free_dispatch(tmp_path):
    """Negative control: the unit free longest is often not the one that arrives first."""
    scenario = _write(tmp_path, "first_free", THREE_STATIONS.format(dispatch="first_free"))
    checked, wrong = _dispatch_violations(scenario)
    assert checked > 300
    assert wrong > 10


def test_vehicle_states_add_up_to_rostered_time_plus_run_over_per_unit(tmp_path):
    scenario = _write(tmp_path, "nearest", THREE_STATIONS.format(dispatch="nearest"))
    length = scenario.model.length
    # the rosters by hand: north 2 by day (07-19) and 1 by night, south 2 all day, east 2 08-20
    rostered_by_hand = {0: (2 * 12 + 1 * 12) * 60 * 5, 1: 2 * 24 * 60 * 5, 2: 2 * 12 * 60 * 5}
    for replication in range(2):
        rows = _rows(simulate_replication(scenario.model, 11, replication))
        activity = rows[rows[:, C["state"]] != S["run_over"]]
        over = rows[rows[:, C["state"]] == S["run_over"]]
        assert len(over) > 0, "some jobs run past a shift's end"
        rostered = {0: 0.0, 1: 0.0, 2: 0.0}
        for key in {tuple(k) for k in rows[:, [C["station"], C["number"]]]}:
            mine = activity[(activity[:, [C["station"], C["number"]]] == key).all(axis=1)]
            mine = mine[np.argsort(mine[:, C["start"]], kind="stable")]
            assert np.all(mine[1:, C["start"]] >= mine[:-1, C["end"]] - 1e-9), "a unit is in one state at a time"
            assert np.all(mine[:, C["end"]] <= length + 1e-9)
            ran_over = over[(over[:, [C["station"], C["number"]]] == key).all(axis=1)]
            on_duty = (mine[:, C["end"]] - mine[:, C["start"]]).sum()
            rostered[int(key[0])] += on_duty - (ran_over[:, C["end"]] - ran_over[:, C["start"]]).sum()
        for station, minutes in rostered_by_hand.items():
            assert rostered[station] == pytest.approx(minutes, abs=1e-6)


def test_the_vehicles_table_adds_each_units_states_to_its_rostered_hours_and_run_over(tmp_path):
    scenario = _write(tmp_path, "nearest", THREE_STATIONS.format(dispatch="nearest"))
    table = pf.simulate(scenario, cache=False).vehicles()
    activity = table[[f"{s}_hours_a_day" for s in VEHICLE_STATES[:-1]]].sum(axis=1)
    np.testing.assert_allclose(activity, table["rostered_hours_a_day"] + table["run_over_hours_a_day"], atol=1e-9)
    by_station = table.groupby("station")["rostered_hours_a_day"].sum()
    assert by_station.to_dict() == pytest.approx({"north": 36.0, "south": 48.0, "east": 24.0})


# ------------------------------------------------------------------ unlimited units, fixed times
UNLIMITED = """\
name: unlimited
run: {length: 3d, warm_up: 0d, replications: 1, seed: 3}
demand:
  calls: {per_day: 200, pathway: call, mix: {category: {1: 0.5, 2: 0.5}}}
resources:
  ambulance: {fleet: {base: {count: inf}}, queue: category}
places:
  zones: {near: {at: [1, 0], share: 0.5}, far: {at: [0, 7], share: 0.3}, farther: {at: [12, 0], share: 0.2}}
  stations: {base: [0, 0]}
  hospitals: {county: [0, 0]}
travel: {speed: 60km/h, detour: 1.5}
pathways:
  call:
    - dispatch: {hold: ambulance}
    - mobilise: {takes: {by: category, 1: 1min, other: 3min}}
    - drive: {travel: to_patient}
    - on_scene: {takes: "lognormal(mean 30min, sd 10min)"}
    - to_hospital: {travel: to_site}
    - handover: {takes: 10min, release: ambulance}
moments:
  response: {stage: transfer, from: dispatch.queued, to: drive.end, by: zone, target: 90% within 15min}
"""


def test_with_unlimited_units_the_response_is_mobilisation_plus_travel_per_zone(tmp_path):
    scenario = _write(tmp_path, "unlimited", UNLIMITED)
    model = scenario.model
    log = simulate_replication(model, 3, 0)
    events = {e: log.times[:, model.events.index(e)] for e in ("dispatch.queued", "drive.end")}
    zone = log.attributes[:, model.attributes.index("zone")]
    category = np.array(model.values[model.attributes.index("category")])[log.attributes[:, model.attributes.index("category")]]
    km = {"near": 1.0, "far": 7.0, "farther": 12.0}
    done = ~np.isnan(events["drive.end"])
    assert done.sum() > 500
    for z, name in enumerate(model.values[model.attributes.index("zone")]):
        for cat, mobilise in (("1", 1.0), ("2", 3.0)):
            mine = done & (zone == z) & (category == cat)
            assert mine.sum() > 20
            expected = mobilise + km[name] * 1.5 / 60 * 60
            np.testing.assert_allclose(events["drive.end"][mine] - events["dispatch.queued"][mine], expected, rtol=0, atol=1e-9)


# ------------------------------------------------------------------ a unit on its way back
LINE = """\
name: a line of three places
run: {{length: 1d, warm_up: 0d, replications: 1, seed: 1}}
demand:
  first: {{at: [0], pathway: call, set: {{zone: middle}}}}
  second: {{at: [{second}], pathway: call, set: {{zone: {zone}}}}}
resources:
  ambulance: {{fleet: {{base: {{count: 1}}}}}}
places:
  zones: {{middle: {{at: [10, 0], share: 0.5}}, home_zone: {{at: [0, 0], share: 0.5}}}}
  stations: {{base: [0, 0]}}
  hospitals: {{county: [20, 0]}}
travel: {{matrix: line.csv}}
pathways:
  call:
    - dispatch: {{hold: ambulance}}
    - mobilise: {{takes: 1min}}
    - drive: {{travel: to_patient}}
    - on_scene: {{takes: 5min}}
    - to_hospital: {{travel: to_site}}
    - handover: {{takes: 4min, release: ambulance}}
"""
POSITIONS = {"base": 0.0, "middle": 10.0, "home_zone": 0.0, "county": 20.0}


@pytest.mark.parametrize("second, zone, drive", [
    (35, "middle", 15.0),     # a quarter of the way back: back to the hospital and on (5 + 10), not on (15 + 10)
    (45, "home_zone", 5.0),   # three quarters of the way: on to the station and on (5 + 0), not back (15 + 20)
    (55, "middle", 10.0),     # home already (the way back ends at 50): from the station
])
def test_a_returning_unit_is_sent_from_where_it_is_on_the_road(tmp_path, second, zone, drive):
    """The first call: at scene 11, at the hospital 26, handed over 30, then 20 minutes back to
    the station. The second call finds the unit on that road a share f of the way: it reaches
    the zone in min(f·t(H,S) + t(H,Z), (1−f)·t(H,S) + t(S,Z))."""
    with open(tmp_path / "line.csv", "w") as handle:
        handle.write("from,to,minutes\n")
        for a, b in itertools.permutations(POSITIONS, 2):
            handle.write(f"{a},{b},{abs(POSITIONS[a] - POSITIONS[b]):g}\n")
    scenario = _write(tmp_path, "line", LINE.format(second=second, zone=zone))
    model = scenario.model
    log = simulate_replication(model, 1, 0)
    second_patient = int(np.flatnonzero(log.stream == 1)[0])
    times = {e: log.times[second_patient, model.events.index(e)] for e in ("drive.start", "drive.end")}
    assert times["drive.start"] == pytest.approx(second + 1.0)
    assert times["drive.end"] - times["drive.start"] == pytest.approx(drive)


def test_from_the_road_takes_the_shorter_of_back_and_on():
    matrix = [[0, 20, 10], [20, 0, 10], [10, 10, 0]]  # 0 hospital, 1 station, 2 zone
    assert from_the_road(matrix, 0, 1, 0.25, 2) == pytest.approx(15.0)
    assert from_the_road(matrix, 0, 1, 0.9, 2) == pytest.approx(min(18 + 10, 2 + 10))
    assert from_the_road(matrix, 0, 1, 0.0, 1) == pytest.approx(20.0)


# ------------------------------------------------------------------ a crew more at one station
BUNDLED = __import__("pathlib").Path(__file__).resolve().parents[1] / "scenarios" / "network"


def test_the_bundled_variant_adds_one_day_crew_at_the_north_station_only():
    base = pf.load_scenario(BUNDLED / "network.yaml").model
    more = pf.load_scenario(BUNDLED / "one_more_crew_north.yaml").model
    (r, fleet), = base.network.fleets.items()
    hours = [[float(s.capacity_by_minute.sum()) / 60 / 7 for s in m.network.fleets[r].stations] for m in (base, more)]
    names = fleet.station_names
    assert {n: b - a for n, a, b in zip(names, *hours)} == {"central": 0.0, "north": 12.0, "south": 0.0}


@pytest.mark.slow  # two 28-day scenarios, 8 replications each
def test_a_crew_more_at_the_north_station_shortens_the_waits_of_the_zones_around_it():
    """Paired by common random numbers: the north's zone answers sooner, and the week costs one
    12-hour crew a day more (85 an hour)."""
    short = {"run.length": "28d", "run.warm_up": "7d"}
    base = pf.load_scenario(BUNDLED / "network.yaml").with_changes(short)
    more = pf.load_scenario(BUNDLED / "one_more_crew_north.yaml").with_changes(short)
    cmp = pf.compare({"network": base, "north": more}, replications=8, jobs=2)
    table = cmp.table()
    row = table[(table["moment"] == "response_by_zone") & (table["group"] == "zone=northfield")
                & (table["statistic"] == "mean")].iloc[0]
    assert row["ci_high"] < 0, row.to_dict()
    costs = cmp.costs().set_index("scenario")["cost_difference"]
    assert costs.iloc[1] == pytest.approx(12 * 7 * 85)
