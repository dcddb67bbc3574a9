"""One concept at a time: small, direct tests beside the end-to-end ones.

Each block pins one rule of the library on inputs small enough to check by hand:

* thinning — arrival counts per hour of the week against Poisson intervals;
* rosters — how shifts become the 10080 minutes of ``capacity_by_minute``;
* pools — queue disciplines and a capacity that follows a roster at run time;
* targets — how tiers are read and refused;
* verdicts — met, close or missed against a confidence interval;
* moments — which patients of a hand-made log count for a moment.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import simpy
from scipy.stats import poisson

import patientflow as pf
from helpers import scenario
from patientflow.clock import HOURS_PER_WEEK, MINUTES_PER_DAY, MINUTES_PER_WEEK
from patientflow.engine.arrivals import arrival_times, expected_per_hour_of_week
from patientflow.engine.resources import Pool, roster_changes, run_roster
from patientflow.log import MISSING, Log
from patientflow.model import Stream
from patientflow.moments import STATS, measure, summary_rows
from patientflow.moments.measure import counted, members
from patientflow.moments.verdict import better, meets, row_verdict, verdict, worst
from patientflow.targets import Tier, parse_tier, parse_tiers

MON, TUE, WED, THU, FRI, SAT, SUN = range(7)


def minute(day: int, clock: str) -> int:
    """The minute of the week of ``clock`` ("HH:MM") on ``day`` (0: Monday)."""
    hours, minutes = (int(x) for x in clock.split(":"))
    return day * MINUTES_PER_DAY + hours * 60 + minutes


# ===================================================================== 1. thinning
SEED = 20_260_611  # chosen once, before the first run; never changed to make a test pass
WEEKS = 100


def _stream(per_minute: np.ndarray) -> Stream:
    return Stream(index=0, name="s", first_step=0, rate_by_hour_of_week=per_minute, at=None, every=None,
                  start=0.0, fixed_attributes=[], mixes=[])


def _weekly_profile() -> np.ndarray:
    """Arrivals per hour in each hour of the week: uneven, with two empty hours and a sparse one."""
    hours = np.arange(HOURS_PER_WEEK)
    per_hour = 0.5 + 11.5 * ((hours * 37) % 23) / 22  # 0.5 .. 12 an hour, scattered over the week
    per_hour[minute(MON, "03:00") // 60] = 0.0       # Monday 03:00-04:00: nobody, ever
    per_hour[minute(SUN, "23:00") // 60] = 0.0       # the last hour of the week too
    per_hour[minute(WED, "04:00") // 60] = 0.05      # 5 expected over 100 weeks
    return per_hour


def test_thinning_gives_each_hour_of_the_week_its_poisson_count():
    per_hour = _weekly_profile()
    stream = _stream(per_hour / 60)
    length = WEEKS * MINUTES_PER_WEEK
    times = arrival_times(stream, float(length), np.random.default_rng(SEED))

    counts = np.bincount((times // 60).astype(int) % HOURS_PER_WEEK, minlength=HOURS_PER_WEEK)
    expected = per_hour * WEEKS
    np.testing.assert_allclose(expected_per_hour_of_week(stream), per_hour)
    # A thinned Poisson process has independent Poisson counts in disjoint hours, each with mean
    # rate x 60 min x weeks. We check 168 hours and the total: 169 checks. Each at 99 % would fail
    # somewhere 82 % of the time (1 - 0.99^169), so the 99 % is family-wise (Bonferroni): each
    # check uses the central interval of probability 1 - 0.01/169, and a correct sampler passes
    # the whole test with probability >= 99 %.
    level = 1 - 0.01 / (HOURS_PER_WEEK + 1)
    positive = expected > 0
    low, high = poisson.interval(level, expected[positive])
    outside = np.flatnonzero((counts[positive] < low) | (counts[positive] > high))
    assert outside.size == 0, [(int(h), int(counts[positive][h]), expected[positive][h]) for h in outside]
    total_low, total_high = poisson.interval(level, expected.sum())
    assert total_low <= counts.sum() <= total_high


def test_an_hour_with_rate_zero_never_has_an_arrival():
    per_hour = _weekly_profile()
    times = arrival_times(_stream(per_hour / 60), float(WEEKS * MINUTES_PER_WEEK), np.random.default_rng(SEED))
    hour_of_week = (times // 60).astype(int) % HOURS_PER_WEEK
    for empty in np.flatnonzero(per_hour == 0):
        assert not np.any(hour_of_week == empty)
    # a rate of zero means zero, even at the very edges of the hour
    monday_3am = times[(times >= minute(MON, "03:00")) & (times < minute(MON, "04:00"))]
    assert monday_3am.size == 0


def test_arrival_times_are_sorted_and_inside_the_run():
    per_hour = _weekly_profile()
    length = 3 * MINUTES_PER_DAY + 17.5  # not a whole number of hours: the run ends mid-hour
    for replication in range(20):
        times = arrival_times(_stream(per_hour / 60), length, np.random.default_rng([SEED, replication]))
        assert times.size > 0
        assert np.all(np.diff(times) >= 0)
        assert times[0] >= 0 and times[-1] < length


def test_a_flat_rate_keeps_every_candidate():
    """At the peak rate every candidate is kept: the count over the run is Poisson(rate x length)."""
    stream = _stream(np.full(HOURS_PER_WEEK, 0.1))  # 6 an hour, every hour
    length = 10 * MINUTES_PER_WEEK
    times = arrival_times(stream, float(length), np.random.default_rng(SEED))
    low, high = poisson.interval(0.99, 0.1 * length)  # one check: a plain 99 % interval
    assert low <= times.size <= high


# ===================================================================== 2. rosters
ROSTERS = """
    name: Roster shapes
    run: {length: 7d}
    demand:
      nobody: {at: [], pathway: p}
    resources:
      overlap: {roster: {"08:00-16:00": 1, "12:00-20:00": 2}}
      night: {roster: {"20:00-08:00": 2}}
      weekdays_and_weekend: {roster: {"sat,sun 10:00-22:00": 1, "mon-fri 08:00-10:00": 1}}
      always: {roster: {"00:00-24:00": 4}}
      evening: {roster: {"16:00-24:00": 1}}
      sunday_night: {roster: {"sun 22:00-06:00": 3}}
    pathways:
      p: [{s: {use: [overlap, night, weekdays_and_weekend, always, evening, sunday_night]}}]
    """


@pytest.fixture(scope="module")
def rostered(tmp_path_factory):
    """capacity_by_minute of each resource of ROSTERS, by name."""
    sc = scenario(tmp_path_factory.mktemp("rosters"), ROSTERS)
    return {r.name: r for r in sc.model.resources}


def steps(cap: np.ndarray) -> list[tuple[int, int]]:
    """Every (minute of the week, new staff level) where the roster changes, Monday 00:00 first:
    with the level at minute 0, this says the whole week."""
    return [(int(m), int(cap[m])) for m in np.flatnonzero(cap != np.roll(cap, 1))]


def test_a_roster_is_staff_on_duty_for_each_of_the_10080_minutes_of_the_week(rostered):
    for resource in rostered.values():
        cap = resource.capacity_by_minute
        assert cap.shape == (MINUTES_PER_WEEK,)
        assert np.issubdtype(cap.dtype, np.integer)
        assert resource.capacity_at(MINUTES_PER_WEEK + 123) == cap[123]  # a later week repeats it


def test_overlapping_shifts_add(rostered):
    cap = rostered["overlap"].capacity_by_minute
    assert steps(cap) == [change for d in range(7) for change in
                          [(minute(d, "08:00"), 1), (minute(d, "12:00"), 3), (minute(d, "16:00"), 2),
                           (minute(d, "20:00"), 0)]]
    assert cap[minute(TUE, "11:59")] == 1 and cap[minute(TUE, "12:00")] == 3
    assert cap.sum() == 7 * (8 * 60 * 1 + 8 * 60 * 2)


def test_the_minute_a_shift_starts_is_covered_and_the_minute_it_ends_is_not(rostered):
    cap = rostered["overlap"].capacity_by_minute
    assert cap[minute(WED, "07:59")] == 0
    assert cap[minute(WED, "08:00")] == 1
    assert cap[minute(WED, "19:59")] == 2
    assert cap[minute(WED, "20:00")] == 0


def test_a_shift_ending_at_midnight_covers_the_minute_before_it(rostered):
    cap = rostered["evening"].capacity_by_minute
    assert cap[minute(THU, "23:59")] == 1
    assert cap[minute(FRI, "00:00")] == 0
    assert cap[MINUTES_PER_WEEK - 1] == 1 and cap[0] == 0  # Sunday 23:59, Monday 00:00
    assert cap.sum() == 7 * 8 * 60


def test_a_shift_ending_before_it_starts_crosses_midnight(rostered):
    cap = rostered["night"].capacity_by_minute
    # 20:00 to 08:00 the next morning, every night; Sunday's night ends on Monday morning
    assert steps(cap) == [change for d in range(7) for change in [(minute(d, "08:00"), 0), (minute(d, "20:00"), 2)]]
    assert cap[0] == 2  # Monday 00:00 is Sunday's night
    assert cap[minute(MON, "19:59")] == 0 and cap[minute(MON, "20:00")] == 2
    assert cap[minute(MON, "23:59")] == 2 and cap[minute(TUE, "00:00")] == 2
    assert cap[minute(TUE, "07:59")] == 2 and cap[minute(TUE, "08:00")] == 0
    assert cap.sum() == 7 * 12 * 60 * 2


def test_day_restricted_shifts_apply_on_their_days_only(rostered):
    cap = rostered["weekdays_and_weekend"].capacity_by_minute
    weekday_mornings = [change for d in (MON, TUE, WED, THU, FRI)
                        for change in [(minute(d, "08:00"), 1), (minute(d, "10:00"), 0)]]
    weekend_days = [change for d in (SAT, SUN) for change in [(minute(d, "10:00"), 1), (minute(d, "22:00"), 0)]]
    assert steps(cap) == weekday_mornings + weekend_days
    assert cap[minute(FRI, "09:59")] == 1 and cap[minute(FRI, "10:00")] == 0
    assert cap[minute(SAT, "08:00")] == 0 and cap[minute(SAT, "09:59")] == 0 and cap[minute(SAT, "10:00")] == 1
    assert cap[minute(SUN, "21:59")] == 1 and cap[minute(SUN, "22:00")] == 0
    assert cap.sum() == 5 * 2 * 60 + 2 * 12 * 60


def test_a_shift_from_00_00_to_24_00_covers_the_whole_day(rostered):
    cap = rostered["always"].capacity_by_minute
    assert steps(cap) == []
    assert np.all(cap == 4)


def test_sunday_night_wraps_the_week_into_monday_morning(rostered):
    cap = rostered["sunday_night"].capacity_by_minute
    assert steps(cap) == [(minute(MON, "06:00"), 0), (minute(SUN, "22:00"), 3)]
    assert cap[minute(SAT, "22:00")] == 0 and cap[minute(SUN, "21:59")] == 0
    assert cap[MINUTES_PER_WEEK - 1] == 3 and cap[0] == 3 and cap[minute(MON, "05:59")] == 3
    assert cap[minute(TUE, "00:00")] == 0  # Monday's night is not rostered: only Sunday's
    assert cap.sum() == 8 * 60 * 3


def test_at_run_time_a_roster_changes_a_pool_exactly_where_its_level_changes(rostered):
    cap = rostered["sunday_night"].capacity_by_minute
    two_weeks = 2 * MINUTES_PER_WEEK
    # no change at Monday 00:00 (the night goes on); time 0 is the pool's starting level
    assert roster_changes(cap, two_weeks) == [
        (minute(MON, "06:00"), 0.0), (minute(SUN, "22:00"), 3.0),
        (MINUTES_PER_WEEK + minute(MON, "06:00"), 0.0), (MINUTES_PER_WEEK + minute(SUN, "22:00"), 3.0)]
    evening = rostered["evening"].capacity_by_minute
    # a level that differs at Monday 00:00 from Sunday 23:59 changes there, from the second week on
    changes = roster_changes(evening, two_weeks)
    assert (float(MINUTES_PER_WEEK), 0.0) in changes and all(0 < t < two_weeks for t, _ in changes)
    assert len(changes) == 2 * 7 * 2 - 1
    assert roster_changes(rostered["always"].capacity_by_minute, two_weeks) == []


# ===================================================================== 3. pools
def _patient(env, pool, record, name, arrive, service, priority=0.0):
    yield env.timeout(arrive)
    request = pool.request(priority)
    if request is not None:
        yield request
    record[name] = [env.now, None]
    yield env.timeout(service)
    pool.release()
    record[name][1] = env.now


def _run(capacity, patients, changes=(), until=None, hours=10):
    """Run ``patients`` (name, arrive, service[, priority]) through one pool; {name: [start, end]}."""
    env = simpy.Environment()
    pool = Pool(env, capacity, hours)
    record: dict[str, list] = {}
    if changes:
        env.process(run_roster(env, pool, list(changes)))
    for p in patients:
        env.process(_patient(env, pool, record, *p))
    env.run(until=until)
    return pool, record


def test_a_pool_serves_first_come_first_served():
    _, r = _run(1, [("a", 0, 10), ("b", 1, 10), ("c", 2, 10), ("d", 3, 10)])
    assert {k: v[0] for k, v in r.items()} == {"a": 0, "b": 10, "c": 20, "d": 30}


def test_a_free_unit_is_taken_at_once_and_two_units_serve_two_at_a_time():
    _, r = _run(2, [("a", 0, 10), ("b", 1, 10), ("c", 2, 10), ("d", 3, 10)])
    assert {k: v[0] for k, v in r.items()} == {"a": 0, "b": 1, "c": 10, "d": 11}


def test_a_priority_queue_serves_lower_first_and_ties_first_come_first_served():
    _, r = _run(1, [("a", 0, 10, 5), ("b", 1, 10, 3), ("c", 2, 10, 1), ("d", 3, 10, 3), ("e", 4, 10, 1)])
    # a is in service when c (priority 1) arrives and is not pre-empted: it ends at 10
    assert r["a"] == [0, 10]
    assert sorted(r, key=lambda k: r[k][0]) == ["a", "c", "e", "b", "d"]
    assert [r[k][0] for k in ("c", "e", "b", "d")] == [10, 20, 30, 40]


def test_when_capacity_drops_patients_in_service_finish_and_nobody_new_starts_until_a_unit_is_free():
    # two units until 60, one until 100, none until 150, then two again
    changes = [(60, 1), (100, 0), (150, 2)]
    pool, r = _run(2, [("a", 40, 40), ("b", 50, 45), ("c", 65, 10),
                       ("d", 102, 5), ("e", 110, 20), ("f", 112, 1)], changes)
    assert r["a"] == [40, 80] and r["b"] == [50, 95]  # not interrupted at 60
    # at 80 a leaves but b still holds the one unit: c starts only when b leaves
    assert r["c"] == [95, 105]  # and, in service when the shift ends at 100, finishes
    # nobody is on from 100: d and e wait for 150, f for the first unit free after that
    assert r["d"] == [150, 155] and r["e"] == [150, 170] and r["f"] == [155, 156]
    assert pool.busy == 0 and pool.waiting == 0 and pool.capacity == 2


def test_a_pool_records_busy_rostered_and_queue_minutes_per_hour_of_the_run():
    # 2 units until 30, then 1. p1 is served 0-90; p2 arrives at 40, waits for p1 and is served 90-100.
    pool, _ = _run(2, [("p1", 0, 90), ("p2", 40, 10)], [(30, 1)], until=120, hours=2)
    pool.finish()
    busy, rostered, queue = pool.records()
    np.testing.assert_allclose(busy, [60, 30 + 10])
    np.testing.assert_allclose(rostered, [2 * 30 + 1 * 30, 60])
    np.testing.assert_allclose(queue, [60 - 40, 90 - 60])


# ===================================================================== 4. targets
def test_a_share_within_a_time():
    assert parse_tier("90% within 15min", "duration") == Tier("within", 15.0, 0.9, "90% within 15min")
    seconds = parse_tier("95% within 20s", "duration")
    assert seconds.kind == "within" and seconds.threshold == pytest.approx(20 / 60) and seconds.share == 0.95
    assert parse_tier("90% within 15min", "duration").target_value == 15.0


def test_a_mean_with_or_without_its_bound():
    assert parse_tier("mean 7min", "duration") == Tier("mean", 7.0, None, "mean 7min")
    assert parse_tier("mean <= 7min", "duration") == Tier("mean", 7.0, None, "mean <= 7min")
    assert parse_tier("mean <= 7min", "duration").target_value == 7.0


def test_a_share_moment_bounds_the_share_from_above_or_below():
    assert parse_tier("at most 5%", "share") == Tier("at_most", None, 0.05, "at most 5%")
    assert parse_tier("at least 80%", "share") == Tier("at_least", None, 0.8, "at least 80%")
    assert parse_tier("at least 80%", "share").target_value == 0.8


def test_a_target_may_be_one_tier_or_a_list_of_tiers():
    tiers = parse_tiers(["65% within 15min", "95% within 30min", "100% within 60min"], "duration")
    assert [(t.kind, t.threshold, t.share) for t in tiers] == [
        ("within", 15.0, 0.65), ("within", 30.0, 0.95), ("within", 60.0, 1.0)]
    assert parse_tiers("mean 7min", "duration") == (parse_tier("mean 7min", "duration"),)
    assert [t.kind for t in parse_tiers(["90% within 15min", "mean 7min"], "duration")] == ["within", "mean"]
    with pytest.raises(ValueError, match="at least one tier"):
        parse_tiers([], "duration")


def test_a_share_above_100_percent_is_refused():
    with pytest.raises(ValueError, match=r"a share must be between 0% and 100%, got 110%"):
        parse_tier("110% within 5min", "duration")
    with pytest.raises(ValueError, match=r"between 0% and 100%, got 105%"):
        parse_tier("at most 105%", "share")


def test_words_that_are_not_a_target_are_refused_with_an_example():
    with pytest.raises(ValueError, match=r"a duration target reads '90% within 15min' or 'mean 7min', got 'bogus'"):
        parse_tier("bogus", "duration")
    with pytest.raises(ValueError, match=r"a share target reads 'at most 5%' or 'at least 95%', got 'bogus'"):
        parse_tier("bogus", "share")
    with pytest.raises(ValueError, match=r"expected a target such as '90% within 15min', got 90"):
        parse_tier(90, "duration")


def test_a_share_target_on_a_duration_moment_and_a_duration_target_on_a_share_moment_are_refused():
    with pytest.raises(ValueError, match=r"a duration target reads .*, got 'at most 5%'"):
        parse_tier("at most 5%", "duration")
    with pytest.raises(ValueError, match=r"a share target reads .*, got '90% within 15min'"):
        parse_tier("90% within 15min", "share")
    with pytest.raises(ValueError, match=r"a share target reads .*, got 'mean 7min'"):
        parse_tier("mean 7min", "share")


@pytest.mark.parametrize("moment, words", [
    ("{stage: s, from: arrived, to: desk.start, target: at least 80%}",
     "moments.m.target: a duration target reads '90% within 15min' or 'mean 7min', got 'at least 80%'"),
    ("{stage: s, kind: share, from: arrived, outcome: completed, target: [90% within 15min]}",
     "moments.m.target: a share target reads 'at most 5%' or 'at least 95%', got '90% within 15min'"),
])
def test_a_scenario_with_a_target_of_the_wrong_kind_says_where_and_what_a_target_reads(tmp_path, moment, words):
    with pytest.raises(pf.ScenarioError) as caught:
        scenario(tmp_path, f"""
            name: Wrong kind of target
            demand:
              walk_in: {{per_hour: 1, pathway: p}}
            pathways:
              p: [{{desk: {{takes: 1min}}}}]
            moments:
              m: {moment}
            """)
    assert words in str(caught.value)


# ===================================================================== 5. verdicts
def test_which_way_is_better_for_each_kind_of_tier():
    assert better("within") == "higher" and better("at_least") == "higher"
    assert better("mean") == "lower" and better("at_most") == "lower"


@pytest.mark.parametrize("value, low, high, expected", [
    (0.95, 0.93, 0.97, "met"),      # wholly above 90 %
    (0.91, 0.88, 0.94, "close"),    # straddles, estimate on the good side
    (0.89, 0.86, 0.92, "close"),    # straddles, estimate on the bad side
    (0.80, 0.75, 0.85, "missed"),   # wholly below
    (0.92, 0.90, 0.94, "met"),      # an end exactly at the target is on the good side
])
def test_a_higher_better_tier(value, low, high, expected):
    assert verdict(value, low, high, 0.90, "higher") == expected


@pytest.mark.parametrize("value, low, high, expected", [
    (6.0, 5.0, 6.5, "met"),
    (6.8, 6.0, 7.6, "close"),
    (7.4, 6.9, 7.9, "close"),
    (9.0, 8.0, 10.0, "missed"),
    (6.5, 6.0, 7.0, "met"),
])
def test_a_lower_better_tier(value, low, high, expected):
    assert verdict(value, low, high, 7.0, "lower") == expected


def test_without_an_interval_the_estimate_alone_decides_and_is_never_close():
    assert verdict(0.95, math.nan, math.nan, 0.9, "higher") == "met"
    assert verdict(0.85, math.nan, math.nan, 0.9, "higher") == "missed"
    assert verdict(6.0, None, None, 7.0, "lower") == "met"
    assert verdict(6.0, 5.0, math.nan, 7.0, "lower") == "met"  # half an interval is no interval
    assert verdict(8.0, math.nan, math.nan, 7.0, "lower") == "missed"


def test_nothing_to_judge_is_no_target():
    assert verdict(math.nan, 0.8, 0.9, 0.9, "higher") == "no target"
    assert verdict(np.float64("nan"), math.nan, math.nan, 7.0, "lower") == "no target"
    assert verdict(0.95, 0.93, 0.97, math.nan, "higher") == "no target"
    assert verdict(None, None, None, 0.9, "higher") == "no target"


def test_meets_compares_the_estimate_alone():
    assert meets(0.9, 0.9, "higher") is True and meets(0.89, 0.9, "higher") is False
    assert meets(7.0, 7.0, "lower") is True and meets(7.01, 7.0, "lower") is False
    assert meets(0.1 + 0.2, 0.3, "lower") is True  # rounding is not a miss
    assert meets(math.nan, 0.9, "higher") is None


def test_the_worst_verdict_of_several():
    assert worst(["met", "close", "missed"]) == "missed"
    assert worst(["met", "close", "met"]) == "close"
    assert worst(iter(["met", "met"])) == "met"
    assert worst(["met", "no target"]) == "met"
    assert worst([]) == "no target"


def test_a_summary_row_is_judged_on_its_tiers_statistic_against_its_bound():
    within = {"tier_kind": "within", "within_target": 0.93, "within_target_ci_low": 0.91,
              "within_target_ci_high": 0.95, "target": 15.0, "target_share": 0.9,
              "mean": 30.0, "mean_ci_low": 29.0, "mean_ci_high": 31.0}
    assert row_verdict(within) == "met"  # the share against 90 %, not the mean against 15 min
    mean = {**within, "tier_kind": "mean", "target": 30.5, "target_share": math.nan}
    assert row_verdict(mean) == "close"
    at_most = {**within, "tier_kind": "at_most", "within_target": 0.07, "within_target_ci_low": 0.06,
               "within_target_ci_high": 0.08, "target": 0.05, "target_share": 0.05}
    assert row_verdict(at_most) == "missed"
    assert row_verdict({"tier_kind": ""}) == "no target"


# ===================================================================== 6. moment membership
TWO_STREAMS = """
    name: Two streams and an acuity
    run: {length: 1d, warm_up: 60min}
    demand:
      walk_in: {per_hour: 1, pathway: ed, mix: {acuity: {1: 0.2, 2: 0.3, 3: 0.5}}}
      ambulance: {per_hour: 1, pathway: ed, set: {acuity: 1}}
    resources:
      nurse: {count: 1}
    pathways:
      ed:
        - triage: {use: nurse, takes: 5min}
    moments:
      to_triage: {stage: reception, from: arrived, to: triage.start}
      ambulance_to_triage: {stage: reception, from: arrived, to: triage.start, for: {stream: ambulance}}
      urgent_to_triage: {stage: reception, from: arrived, to: triage.start, for: {acuity: [1, 2]}}
      to_triage_by_acuity: {stage: reception, from: arrived, to: triage.start, by: acuity}
      triage_time: {stage: reception, from: triage.start, to: triage.end}
    """

# (arrived, triage.start, triage.end, stream, acuity); None: not given
PATIENTS = [
    (60.0, 62.0, 67.0, "walk_in", "1"),       # 0: arrives exactly at the warm-up: counts
    (59.99, 61.0, 66.0, "walk_in", "2"),      # 1: arrives just before; its triage starts after
    (30.0, 45.0, 50.0, "walk_in", "3"),       # 2: all before the warm-up
    (100.0, 105.0, 110.0, "ambulance", "1"),  # 3
    (200.0, None, None, "walk_in", "3"),      # 4: still waiting for triage
    (300.0, 310.0, 315.0, "walk_in", None),   # 5: no acuity recorded
    (500.0, 505.0, 510.0, "ambulance", "2"),  # 6
]


@pytest.fixture(scope="module")
def ed(tmp_path_factory):
    sc = scenario(tmp_path_factory.mktemp("moments"), TWO_STREAMS)
    model = sc.model
    ev = {name: i for i, name in enumerate(model.events)}
    acuity = model.attributes.index("acuity")
    streams = [s.name for s in model.streams]
    n = len(PATIENTS)
    times = np.full((n, len(model.events)), np.nan)
    attributes = np.full((n, len(model.attributes)), MISSING, dtype=np.int16)
    stream = np.zeros(n, dtype=np.int16)
    outcome = np.full(n, -1, dtype=np.int16)
    position = np.zeros(n, dtype=np.int32)
    for i, (arrived, start, end, name, level) in enumerate(PATIENTS):
        times[i, ev["arrived"]] = arrived
        if start is not None:
            times[i, ev["triage.queued"]] = arrived
            times[i, ev["triage.start"]] = start
        if end is not None:
            times[i, ev["triage.end"]] = times[i, ev["left"]] = end
            outcome[i] = model.outcomes.index("completed")
        stream[i] = streams.index(name)
        if level is not None:
            attributes[i, acuity] = model.values[acuity].index(level)
    hours = 24
    log = Log(replication=0, times=times, attributes=attributes, stream=stream, outcome=outcome,
              position=position, busy=np.zeros((1, hours)), rostered=np.zeros((1, hours)),
              queue=np.zeros((1, hours)), inside=np.zeros(hours), length=float(MINUTES_PER_DAY))
    return model, log, {m.name: m for m in model.moments}


def who(mask: np.ndarray) -> list[int]:
    return [int(i) for i in np.flatnonzero(mask)]


def test_a_patient_counts_when_its_from_event_is_at_or_after_the_warm_up(ed):
    model, log, moments = ed
    assert model.warm_up == 60
    # patient 0 arrives at exactly 60: in; patient 1 at 59.99 and patient 2 at 30: out
    assert who(counted(model, moments["to_triage"], log)) == [0, 3, 4, 5, 6]


def test_the_warm_up_applies_to_the_from_event_not_to_the_arrival(ed):
    model, log, moments = ed
    # patient 1 arrived before the warm-up but its triage started after it; patient 4's has not started
    assert who(counted(model, moments["triage_time"], log)) == [0, 1, 3, 5, 6]


def test_for_a_stream_keeps_only_that_streams_patients(ed):
    model, log, moments = ed
    assert moments["ambulance_to_triage"].streams == [[s.name for s in model.streams].index("ambulance")]
    assert who(counted(model, moments["ambulance_to_triage"], log)) == [3, 6]


def test_for_attribute_values_keeps_patients_with_one_of_them(ed):
    model, log, moments = ed
    # acuity 1 or 2, after the warm-up: 0, 3, 6; patient 5 has no acuity, patient 1 is too early
    assert who(counted(model, moments["urgent_to_triage"], log)) == [0, 3, 6]


def test_by_an_attribute_each_value_is_a_group_and_a_patient_without_it_is_in_none(ed):
    model, log, moments = ed
    m = moments["to_triage_by_acuity"]
    acuity = model.values[model.attributes.index("acuity")]
    groups = {label: who(counted(model, m, log, code)) for code, label in enumerate(acuity)}
    assert groups == {"1": [0, 3], "2": [6], "3": [4]}
    assert who(counted(model, m, log)) == [0, 3, 4, 5, 6]  # without a group: everyone who counts
    # the summary's n is the patients of each group who are done (patient 4 is still waiting)
    rows = summary_rows(model)
    stats = measure(model, log, rows)
    n = {r.group: stats[i, STATS.index("n")] for i, r in enumerate(rows) if r.moment == m.name}
    assert n == {"acuity=1": 2, "acuity=2": 1, "acuity=3": 0}


def test_members_reads_the_from_event_stream_and_attribute_columns(ed):
    model, log, moments = ed
    m = moments["urgent_to_triage"]
    start = np.array([60.0, 59.0, np.nan, 61.0, 61.0])
    stream = np.zeros(5, dtype=np.int16)
    acuity = model.attributes.index("acuity")
    attributes = np.full((5, len(model.attributes)), MISSING, dtype=np.int16)
    attributes[:, acuity] = [model.values[acuity].index(v) for v in ("1", "1", "1", "3", "2")]
    # 0: in; 1: before the warm-up; 2: no from-event; 3: acuity 3; 4: in
    assert who(members(model, m, start, stream, attributes)) == [0, 4]
