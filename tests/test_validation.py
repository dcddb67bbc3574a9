"""Bad scenarios are refused with every problem as ``file:line: key: message`` (DESIGN §3-§4).

Each test writes a small scenario with one kind of mistake and checks the exact file, line and key
of the problem and the words of its message: through the API (``ScenarioError.problems``) and,
for a few, through ``patientflow validate`` (exit 2, one line a problem, no traceback).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import patientflow as pf

BASE = textwrap.dedent("""\
    name: Small ED
    run: {length: 2d, warm_up: 0, replications: 1, seed: 1}
    demand:
      walk_in: {per_day: 50, pathway: ed, mix: {acuity: {1: 0.2, 2: 0.8}}}
    resources:
      nurse: {count: 2}
      doctor: {roster: {"07:00-19:00": 2, "19:00-07:00": 1}}
    pathways:
      ed:
        - triage: {use: nurse, takes: exponential(5min)}
        - treat: {use: doctor, takes: lognormal(mean 20min, sd 5min)}
    moments:
      wait: {stage: ed, from: arrived, to: treat.start, target: 90% within 60min, by: acuity}
    """)

TRIAGE = "pathways.ed.0.triage"
TREAT = "pathways.ed.1.treat"


def edit(old: str, new: str, text: str = BASE) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


def line_of(text: str, fragment: str) -> int:
    """The 1-based line of the only occurrence of ``fragment``."""
    assert text.count(fragment) == 1, fragment
    return text[: text.index(fragment)].count("\n") + 1


def write(folder: Path, text: str, name: str = "scenario.yaml") -> Path:
    path = folder / name
    path.write_text(text)
    return path


def problems(path: Path) -> list:
    with pytest.raises(pf.ScenarioError) as caught:
        pf.load_scenario(path)
    found = caught.value.problems
    assert found and all(isinstance(p.line, int) for p in found)
    return found


def only_problem(folder: Path, text: str, name: str = "scenario.yaml"):
    path = write(folder, text, name)
    found = problems(path)
    assert len(found) == 1, "\n".join(map(str, found))
    return path, found[0]


def validate(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "patientflow.cli", "validate", str(path)],
                          capture_output=True, text=True, timeout=120)


def test_the_base_scenario_is_valid(tmp_path):
    """Every test below changes one thing in a scenario that loads; a distribution with several
    parameters may be written inside { } without quotes, as the README does."""
    sc = pf.load_scenario(write(tmp_path, BASE))
    assert sc.model.steps[1].takes.other.params == (20.0, 5.0)
    assert sc.model.attributes == ["acuity"]


def test_a_distribution_with_commas_inside_braces_needs_no_quotes(tmp_path):
    """YAML would split ``{takes: empirical(3min, 3min, 5min)}`` at its commas; the loader joins
    the pieces back, even across lines, and leaves parentheses outside { } and [ ] alone."""
    text = edit("takes: exponential(5min)}", "takes: empirical(3min, 3min,\n                                        5min)}")
    text = edit("name: Small ED\n", "description: Winter (ward 5, shut\nname: Small ED)\n", text)
    sc = pf.load_scenario(write(tmp_path, text))
    assert sc.model.steps[0].takes.other.values == (3.0, 3.0, 5.0)
    assert (sc.spec.description, sc.name) == ("Winter (ward 5, shut", "Small ED)")


# ---------------------------------------------------------------- YAML and keys
def test_a_yaml_syntax_error_names_its_line(tmp_path):
    text = edit("  nurse: {count: 2}", "  nurse: {count: 2")
    path, p = only_problem(tmp_path, text)
    assert (p.file, p.key) == (str(path), "yaml")
    assert p.line == line_of(text, "doctor:")  # where the parser found the mapping unclosed
    assert "expected ',' or '}'" in p.message


def test_a_duplicate_yaml_key_is_a_syntax_error(tmp_path):
    text = edit("name: Small ED\n", "name: Small ED\nname: Again\n")
    path, p = only_problem(tmp_path, text)
    assert (p.file, p.line, p.key) == (str(path), 2, "yaml")
    assert 'duplicate key "name"' in p.message


def test_a_mapping_written_where_a_key_belongs(tmp_path):
    text = edit("{per_day: 50, pathway: ed, mix: {", "{per_day: 50, pathway: ed, mix:, {")
    path, p = only_problem(tmp_path, text)
    assert (p.file, p.line, p.key) == (str(path), line_of(text, "mix:, {"), "yaml")
    assert p.message.startswith("a key must be a name, not a { } mapping or a [ ] list")


def test_an_unknown_top_level_key_suggests_the_right_one(tmp_path):
    text = edit("moments:", "moment:")
    path, p = only_problem(tmp_path, text)
    assert (p.file, p.line, p.key) == (str(path), line_of(text, "moment:"), "moment")
    assert p.message == "unknown key 'moment'; did you mean 'moments'?"


def test_an_unknown_step_key_suggests_the_right_one(tmp_path):
    text = edit("takes: exponential(5min)", "takse: exponential(5min)")
    path, p = only_problem(tmp_path, text)
    assert (p.file, p.line, p.key) == (str(path), line_of(text, "takse"), f"{TRIAGE}.takse")
    assert p.message == "unknown key 'takse'; did you mean 'takes'?"


def test_an_unknown_key_without_a_close_match_lists_the_known_keys(tmp_path):
    text = edit("{per_day: 50,", "{volume: 50, per_day: 50,")
    _, p = only_problem(tmp_path, text)
    assert p.key == "demand.walk_in.volume"
    assert p.message.startswith("unknown key 'volume'; expected one of pathway, per_day, per_hour")


@pytest.mark.parametrize("old, new, key, message", [
    ("per_day: 50", "per_day: lots", "demand.walk_in.per_day", "expected a number, got 'lots'"),
    ("replications: 1", "replications: [1]", "run.replications", "expected a whole number, got [1]"),
    ("count: 2", "count: two", "resources.nurse.count", "expected a whole number or 'inf', got 'two'"),
    ("  nurse: {count: 2}", "  nurse: 2", "resources.nurse", "expected a mapping of keys (key: value), got 2"),
    ("    - triage: {use: nurse, takes: exponential(5min)}", "    - triage", f"pathways.ed.0",
     "expected a mapping of keys (key: value), got 'triage'"),
    ("{stage: ed,", "{stage: ed, critical: maybe,", "moments.wait.critical", "expected true or false, got 'maybe'"),
])
def test_a_value_of_the_wrong_type_says_what_was_expected(tmp_path, old, new, key, message):
    text = edit(old, new)
    path, p = only_problem(tmp_path, text)
    assert (p.file, p.line, p.key) == (str(path), line_of(text, new.strip().split(",")[0]), key)
    assert p.message == message


def test_a_missing_required_key_is_named(tmp_path):
    text = edit("{per_day: 50, pathway: ed,", "{per_day: 50,")
    path, p = only_problem(tmp_path, text)
    assert (p.file, p.line, p.key) == (str(path), line_of(text, "walk_in:"), "demand.walk_in.pathway")
    assert p.message == "missing required key 'pathway'"


# ---------------------------------------------------------------- durations and distributions
def test_an_unknown_distribution_suggests_the_closest_name(tmp_path):
    text = edit("exponential(5min)", "exponental(5min)")
    path, p = only_problem(tmp_path, text)
    assert (p.file, p.line, p.key) == (str(path), line_of(text, "exponental"), f"{TRIAGE}.takes")
    assert p.message == "unknown distribution 'exponental'; did you mean exponential?"


def test_an_unknown_distribution_far_from_any_lists_the_known_ones(tmp_path):
    _, p = only_problem(tmp_path, edit("exponential(5min)", "weibull(5min)"))
    assert p.message.startswith("unknown distribution 'weibull'; known: fixed, exponential, lognormal")


def test_a_missing_distribution_parameter_shows_how_to_write_it(tmp_path):
    text = edit("lognormal(mean 20min, sd 5min)", "lognormal(mean 20min)")
    path, p = only_problem(tmp_path, text)
    assert (p.file, p.line, p.key) == (str(path), line_of(text, "lognormal"), f"{TREAT}.takes")
    assert p.message == "lognormal is missing sd: write it as lognormal(mean 5min, sd 1.4min)"


def test_a_distribution_parameter_given_twice_is_refused(tmp_path):
    _, p = only_problem(tmp_path, edit("exponential(5min)", "exponential(mean 5min, mean 3min)"))
    assert p.key == f"{TRIAGE}.takes" and "exponential has mean twice" in p.message


@pytest.mark.parametrize("old, new, key", [
    ("exponential(5min)", "-5min", f"{TRIAGE}.takes"),
    ("exponential(5min)", "exponential(-5min)", f"{TRIAGE}.takes"),
    ("warm_up: 0", "warm_up: -1d", "run.warm_up"),
])
def test_a_negative_duration_is_refused(tmp_path, old, new, key):
    text = edit(old, new)
    path, p = only_problem(tmp_path, text)
    assert (p.file, p.line, p.key) == (str(path), line_of(text, new), key)
    assert "is negative; times cannot be negative" in p.message


def test_a_bare_m_is_ambiguous(tmp_path):
    _, p = only_problem(tmp_path, edit("exponential(5min)", "5m"))
    assert p.message == "'5m': 'm' is ambiguous; write 'min' for minutes"


# ---------------------------------------------------------------- counts and shares
@pytest.mark.parametrize("count", ["0", "-1"])
def test_a_resource_count_below_one_is_refused(tmp_path, count):
    text = edit("count: 2", f"count: {count}")
    path, p = only_problem(tmp_path, text)
    assert (p.file, p.line, p.key) == (str(path), line_of(text, "nurse:"), "resources.nurse.count")
    assert p.message.startswith(f"a count must be at least 1, got {count}")


@pytest.mark.parametrize("old, new, key, message", [
    ("replications: 1", "replications: 0", "run.replications", "must be at least 1, got 0"),
    ("per_day: 50", "per_day: 0", "demand.walk_in.per_day", "must be more than 0, got 0"),
    ('"19:00-07:00": 1', '"19:00-07:00": -1', 'resources.doctor.roster.19:00-07:00',
     "shift '19:00-07:00': staff must be a whole number >= 0, got -1"),
])
def test_other_counts_out_of_range_are_refused(tmp_path, old, new, key, message):
    _, p = only_problem(tmp_path, edit(old, new))
    assert (p.key, p.message) == (key, message)


def test_mix_shares_that_do_not_sum_to_one(tmp_path):
    text = edit("{1: 0.2, 2: 0.8}", "{1: 0.2, 2: 0.7}")
    path, p = only_problem(tmp_path, text)
    assert (p.file, p.line, p.key) == (str(path), line_of(text, "mix:"), "demand.walk_in.mix.acuity")
    assert p.message == "shares must sum to 1, they sum to 0.9"


def test_branch_shares_that_do_not_sum_to_one(tmp_path):
    text = edit("    - treat:", "    - route: {branch: {home: 0.5, stay: 0.4}}\n    - treat:")
    path, p = only_problem(tmp_path, text)
    assert (p.file, p.line, p.key) == (str(path), line_of(text, "route:"), "pathways.ed.1.route.branch")
    assert p.message == "the options' shares must sum to 1, they sum to 0.9"


def test_branch_shares_by_attribute_that_do_not_sum_to_one_name_the_value(tmp_path):
    text = edit("    - treat:", textwrap.indent(textwrap.dedent("""\
        - route:
            branch:
              by: acuity
              home: {p: {1: 0.5, 2: 0.6}}
              stay: {p: {1: 0.5, 2: 0.5}}
        """), "    ") + "    - treat:")
    _, p = only_problem(tmp_path, text)
    assert (p.line, p.key) == (line_of(text, "branch:"), "pathways.ed.1.route.branch")
    assert p.message == "for acuity = 2 the options' shares sum to 1.1, not 1"


def test_a_mix_share_outside_zero_to_one_points_at_its_own_line(tmp_path):
    text = edit("mix: {acuity: {1: 0.2, 2: 0.8}}", "\n".join([
        "", "      mix:", "        acuity:", "          1: 1.2", "          2: -0.2"]))
    text = edit("walk_in: {per_day: 50, pathway: ed, ", "walk_in:\n      per_day: 50\n      pathway: ed\n     ", text)
    path, p = only_problem(tmp_path, text)
    assert (p.file, p.line, p.key) == (str(path), line_of(text, "1: 1.2"), "demand.walk_in.mix.acuity.1")
    assert p.message == "a share must be between 0 and 1 (0% and 100%), got 1.2"


def test_a_branch_share_outside_zero_to_one_names_the_option(tmp_path):
    text = edit("    - treat:", "    - route:\n        branch:\n          home: 1.5\n          stay: -0.5\n    - treat:")
    path, p = only_problem(tmp_path, text)
    assert (p.file, p.line, p.key) == (str(path), line_of(text, "home: 1.5"), "pathways.ed.1.route.branch.home")
    assert p.message.startswith("a share must be between 0 and 1 (0% and 100%), got 1.5; an option reads")


def test_a_branch_option_with_a_bad_then(tmp_path):
    text = edit("    - treat:", "    - route: {branch: {home: {p: 0.5, then: go home}, stay: 0.5}}\n    - treat:")
    _, p = only_problem(tmp_path, text)
    assert p.key == "pathways.ed.1.route.branch.home.then"
    assert p.message == "expected 'next', 'exit OUTCOME' or 'pathway NAME', got 'go home'"


# ---------------------------------------------------------------- cross-references
def test_a_step_naming_a_missing_resource_suggests_the_closest(tmp_path):
    text = edit("{use: nurse,", "{use: nurses,")
    path, p = only_problem(tmp_path, text)
    assert (p.file, p.line, p.key) == (str(path), line_of(text, "nurses"), f"{TRIAGE}.use")
    assert p.message == "no resource named 'nurses'; did you mean 'nurse'?"


def test_a_step_naming_a_resource_unlike_any_lists_the_resources(tmp_path):
    _, p = only_problem(tmp_path, edit("{use: doctor,", "{use: [doctor, porter],"))
    assert (p.key, p.message) == (f"{TREAT}.use", "no resource named 'porter'; known resources: nurse, doctor")


def test_a_release_of_a_resource_nobody_holds(tmp_path):
    _, p = only_problem(tmp_path, edit("takes: exponential(5min)", "takes: 5min, release: nurse"))
    assert p.key == f"{TRIAGE}.release" and p.message.startswith("no step holds 'nurse'")


def test_a_mark_cannot_reuse_a_built_in_event(tmp_path):
    _, p = only_problem(tmp_path, edit("takes: exponential(5min)", "takes: 5min, mark: arrived"))
    assert (p.key, p.message) == (f"{TRIAGE}.mark", "'arrived' is recorded for every patient already; give the mark another name")


def test_a_stream_naming_a_missing_pathway(tmp_path):
    text = edit("pathway: ed", "pathway: edd")
    path, p = only_problem(tmp_path, text)
    assert (p.file, p.line, p.key) == (str(path), line_of(text, "edd"), "demand.walk_in.pathway")
    assert p.message == "no pathway named 'edd'; did you mean 'ed'?"


def test_then_pathway_to_a_missing_pathway(tmp_path):
    text = edit("takes: exponential(5min)}", "takes: exponential(5min), then: pathway ward}")
    path, p = only_problem(tmp_path, text)
    assert (p.file, p.line, p.key) == (str(path), line_of(text, "pathway ward"), f"{TRIAGE}.then")
    assert p.message == "no pathway named 'ward'; known pathways: ed"


def test_a_moment_naming_an_event_no_pathway_produces(tmp_path):
    text = edit("to: treat.start", "to: treat.begin")
    path, p = only_problem(tmp_path, text)
    assert (p.file, p.line, p.key) == (str(path), line_of(text, "treat.begin"), "moments.wait.to")
    assert p.message.startswith("no pathway produces the event 'treat.begin'; did you mean 'treat.end'?")


def test_a_moment_by_a_missing_attribute(tmp_path):
    text = edit("by: acuity", "by: acuty")
    path, p = only_problem(tmp_path, text)
    assert (p.file, p.line, p.key) == (str(path), line_of(text, "acuty"), "moments.wait.by")
    assert p.message == "no stream or step gives the attribute 'acuty'; did you mean 'acuity'?"


def test_a_moment_for_a_missing_attribute(tmp_path):
    text = edit("target: 90%", "for: {category: 1}, target: 90%")
    path, p = only_problem(tmp_path, text)
    assert (p.file, p.line, p.key) == (str(path), line_of(text, "category"), "moments.wait.for.category")
    assert p.message == "no stream or step gives the attribute 'category'; known attributes: acuity"


def test_a_moment_for_a_missing_stream(tmp_path):
    _, p = only_problem(tmp_path, edit("target: 90%", "for: {stream: walkin}, target: 90%"))
    assert (p.key, p.message) == ("moments.wait.for.stream", "no stream named 'walkin'; did you mean 'walk_in'?")


def test_stream_is_not_an_attribute_outside_a_moments_for(tmp_path):
    _, p = only_problem(tmp_path, edit("takes: exponential(5min)", "takes: {by: stream, walk_in: 5min}"))
    assert p.key == f"{TRIAGE}.takes.by" and "'stream' can only choose patients in a moment's for" in p.message


# ---------------------------------------------------------------- rosters and profiles
@pytest.mark.parametrize("shift, message", [
    ("25:00-07:00", "'25:00-07:00': 25:00 is not a time of day (00:00 to 24:00)"),
    ("7-19", "'7-19' is not a shift; write 'HH:MM-HH:MM', optionally after days: 'mon-fri 07:00-19:00'"),
    ("mon-fry 07:00-19:00", "'mon-fry 07:00-19:00': days are written mon, tue, ... sun, e.g. 'mon-fri 08:00-16:00'"),
])
def test_a_malformed_shift_time_points_at_the_shift(tmp_path, shift, message):
    text = edit('  doctor: {roster: {"07:00-19:00": 2, "19:00-07:00": 1}}',
                f'  doctor:\n    roster:\n      "07:00-19:00": 2\n      "{shift}": 1')
    path, p = only_problem(tmp_path, text)
    assert (p.file, p.line, p.key) == (str(path), line_of(text, f'"{shift}"'), f"resources.doctor.roster.{shift}")
    assert p.message == message


def test_a_roster_with_nobody_ever_on_duty(tmp_path):
    _, p = only_problem(tmp_path, edit('"07:00-19:00": 2, "19:00-07:00": 1', '"07:00-19:00": 0'))
    assert (p.key, p.message) == ("resources.doctor.roster", "nobody is ever on duty: give at least one shift with staff")


def test_a_profile_of_the_wrong_length(tmp_path):
    text = edit("pathway: ed,", "pathway: ed,\n            by_hour: [" + ", ".join(["1"] * 23) + "],")
    path, p = only_problem(tmp_path, text)
    assert (p.file, p.line, p.key) == (str(path), line_of(text, "by_hour"), "demand.walk_in.by_hour")
    assert p.message == "expected 24 values, got 23"


def test_a_profile_from_a_csv_of_the_wrong_length(tmp_path):
    (tmp_path / "hours.csv").write_text("hour,weight\n" + "".join(f"{h},1\n" for h in range(23)))
    _, p = only_problem(tmp_path, edit("pathway: ed,", "pathway: ed, by_hour: hours.csv,"))
    assert (p.key, p.message) == ("demand.walk_in.by_hour", "expected 24 values, got 23")


# ---------------------------------------------------------------- steps
def test_duplicate_step_names_point_at_the_second_and_name_the_first(tmp_path):
    text = edit("    - treat:", "    - triage: {use: nurse, takes: 1min}\n    - treat:")
    path, p = only_problem(tmp_path, text)
    assert (p.file, p.line, p.key) == (str(path), line_of(text, "triage: {use: nurse, takes: 1min}"),
                                       "pathways.ed.1.triage")
    assert p.message.startswith("step name 'triage' is already used in pathway 'ed' (line 10); step names are unique")


# ---------------------------------------------------------------- extends
def test_extends_of_a_missing_file(tmp_path):
    text = "name: Variant\nextends: baseline.yaml\n"
    path, p = only_problem(tmp_path, text, "variant.yaml")
    assert (p.file, p.line, p.key) == (str(path), 2, "extends")
    assert p.message.startswith(f"file not found: {tmp_path / 'baseline.yaml'}")


def test_a_cycle_of_extends(tmp_path):
    a = write(tmp_path, "name: A\nextends: b.yaml\n", "a.yaml")
    b = write(tmp_path, "name: B\n\nextends: a.yaml\n", "b.yaml")
    [p] = problems(a)
    assert (p.file, p.line, p.key) == (str(b), 3, "extends")
    assert p.message == "extends makes a cycle: a.yaml -> b.yaml -> a.yaml"


def test_an_error_in_a_child_value_points_at_the_child(tmp_path):
    write(tmp_path, BASE, "baseline.yaml")
    child = "name: Variant\nextends: baseline.yaml\nresources:\n  nurse: {count: -1}\n"
    path, p = only_problem(tmp_path, child, "variant.yaml")
    assert (p.file, p.line, p.key) == (str(path), 4, "resources.nurse.count")


def test_an_error_in_an_inherited_value_points_at_the_parent(tmp_path):
    parent_text = edit("{use: doctor,", "{use: doctr,")
    parent = write(tmp_path, parent_text, "baseline.yaml")
    child = "name: Variant\nextends: baseline.yaml\nresources:\n  nurse: {count: 3}\n"
    _, p = only_problem(tmp_path, child, "variant.yaml")
    assert (p.file, p.line, p.key) == (str(parent), line_of(parent_text, "doctr"), f"{TREAT}.use")
    assert p.message == "no resource named 'doctr'; did you mean 'doctor'?"


def test_an_error_in_a_patched_step_points_at_the_child(tmp_path):
    write(tmp_path, BASE, "baseline.yaml")
    child = "name: Variant\nextends: baseline.yaml\npathways:\n  ed: {treat: {use: docter}}\n"
    path, p = only_problem(tmp_path, child, "variant.yaml")
    assert (p.file, p.line, p.key) == (str(path), 4, f"{TREAT}.use")


def test_patching_a_step_the_parent_does_not_have(tmp_path):
    write(tmp_path, BASE, "baseline.yaml")
    child = "name: Variant\nextends: baseline.yaml\npathways:\n  ed:\n    tret: {takes: 5min}\n"
    path, p = only_problem(tmp_path, child, "variant.yaml")
    assert (p.file, p.line, p.key) == (str(path), 5, "pathways.ed.tret")
    assert p.message.startswith("pathway 'ed' has no step 'tret' to change; did you mean 'treat'?")


# ---------------------------------------------------------------- all at once, and safety
def test_several_errors_are_reported_at_once_in_file_order(tmp_path):
    text = BASE
    text = edit("run: {length: 2d,", "run: {lenght: 2d,", text)
    text = edit("count: 2", "count: 0", text)
    text = edit('"07:00-19:00"', '"7-19"', text)
    text = edit("exponential(5min)", "exponental(5min)", text)
    path = write(tmp_path, text)
    found = problems(path)
    assert [(p.line, p.key) for p in found] == [
        (2, "run.lenght"), (6, "resources.nurse.count"), (7, "resources.doctor.roster.7-19"),
        (10, f"{TRIAGE}.takes")]
    assert all(p.file == str(path) for p in found)


def test_several_cross_reference_errors_are_reported_at_once(tmp_path):
    text = edit("{use: nurse,", "{use: nurses,")
    text = edit("pathway: ed", "pathway: edd", text)
    text = edit("to: treat.start", "to: treat.begin", text)
    found = problems(write(tmp_path, text))
    assert [(p.line, p.key) for p in found] == [
        (4, "demand.walk_in.pathway"), (10, f"{TRIAGE}.use"), (13, "moments.wait.to")]


def test_a_python_tag_is_refused(tmp_path):
    text = edit("name: Small ED", "name: Small ED\nx: !!python/object/apply:os.system [\"touch pwned\"]")
    path, p = only_problem(tmp_path, text)
    assert (p.file, p.line, p.key) == (str(path), 2, "x")
    assert p.message.startswith("the YAML tag !!python/object/apply:os.system is not allowed")


# ---------------------------------------------------------------- the command line
def test_validate_prints_every_problem_as_file_line_key_message(tmp_path):
    text = edit("{use: nurse,", "{use: nurses,")
    text = edit("to: treat.start", "to: treat.begin", text)
    path = write(tmp_path, text)
    done = validate(path)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    assert lines == [
        f"{path}:10: {TRIAGE}.use: no resource named 'nurses'; did you mean 'nurse'?",
        f"{path}:13: moments.wait.to: no pathway produces the event 'treat.begin'; did you mean 'treat.end'? "
        "(events: arrived, left, marks, and STEP.queued / STEP.start / STEP.end; STEP.got_RESOURCE for a step "
        "taking two or more, STEP.time_reached with wait_until, STEP.cleared with after)",
    ]


@pytest.mark.parametrize("old, new, line, key, message", [
    ("  nurse: {count: 2}", "  nurse: {count: 2", 7, "yaml", "expected ',' or '}', but got ':'"),
    ("moments:", "moment:", 12, "moment", "unknown key 'moment'; did you mean 'moments'?"),
    ('"07:00-19:00"', '"7-19"', 7, "resources.doctor.roster.7-19",
     "'7-19' is not a shift; write 'HH:MM-HH:MM', optionally after days: 'mon-fri 07:00-19:00'"),
])
def test_validate_exits_2_with_the_located_problem(tmp_path, old, new, line, key, message):
    path = write(tmp_path, edit(old, new))
    done = validate(path)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert f"{path}:{line}: {key}: {message}" in done.stderr.splitlines()


def test_validate_in_a_variant_names_the_parent_file(tmp_path):
    parent = write(tmp_path, edit("by: acuity", "by: acuty"), "baseline.yaml")
    child = write(tmp_path, "name: Variant\nextends: baseline.yaml\n", "variant.yaml")
    done = validate(child)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.splitlines() == [
        f"{parent}:13: moments.wait.by: no stream or step gives the attribute 'acuty'; did you mean 'acuity'?"]


@pytest.mark.parametrize("command", ["validate", "run"])
def test_a_python_object_tag_runs_nothing(tmp_path, command):
    marker = tmp_path / "pwned"
    text = edit("name: Small ED", f'name: Small ED\nx: !!python/object/apply:os.system ["touch {marker}"]')
    path = write(tmp_path, text)
    args = [sys.executable, "-m", "patientflow.cli", command, str(path)]
    if command == "run":
        args += ["--out", str(tmp_path / "out"), "-r", "1"]
    done = subprocess.run(args, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert f"{path}:2: x: the YAML tag !!python/object/apply:os.system is not allowed" in done.stderr
    assert not marker.exists()
    assert not (tmp_path / "out" / "summary.csv").exists()


def test_validate_of_a_missing_file_exits_2(tmp_path):
    done = validate(tmp_path / "nope.yaml")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert f"{tmp_path / 'nope.yaml'}:1: file: scenario file not found" in done.stderr
