"""Compiling a validated scenario into the engine's :class:`~patientflow.model.Model`.

This is also the last stage of validation: a step naming a resource that does not exist, a
moment naming an event no pathway produces, a branch whose shares do not sum to 1 — each becomes a
located :class:`~patientflow.errors.Problem`, all collected before any is raised.
"""

from __future__ import annotations


import numpy as np

from ..errors import PartError, ScenarioError, hint
from .loading import Located
from ..model import DEFAULT_OUTCOME, Assignment, BranchModel, Model, Resource, Step, Stream, Varying, step_event_names
from .optimise_section import check_optimise
from .compile_moments import compile_journey, compile_moments
from .derived import compile_derived
from .fleet import fleet_capacity
from .network import compile_network
from .places import read_places
from .pathway_checks import check_cycles, check_unused_resources, held_while_waiting, reachability
from .roster import staff_by_minute
from .schema import ScenarioSpec, StepSpec, parse_branch
from .values import ByAttribute, Mix


def _cumulative(shares) -> list[float]:
    """Cumulative shares ending at exactly 1, as a list (the engine bisects it per patient)."""
    cum = np.cumsum(np.asarray(shares, dtype=float))
    cum[-1] = 1.0
    return cum.tolist()


class Compiler:
    def __init__(self, spec: ScenarioSpec, located: Located):
        self.spec = spec
        self.located = located
        self.problems: list = []
        self.attributes: list[str] = []
        self.values: list[list[str]] = []

    def error(self, path: tuple, message: str) -> None:
        self.problems.append(self.located.problem(path, message))

    # attributes -----------------------------------------------------------------
    def attribute(self, name: str) -> int:
        if name not in self.attributes:
            self.attributes.append(name)
            self.values.append([])
        return self.attributes.index(name)

    def value(self, attribute: int, label: str) -> int:
        labels = self.values[attribute]
        if label not in labels:
            labels.append(label)
        return labels.index(label)

    def collect_attributes(self) -> None:
        """Every attribute and value a scenario can give, in a stable order."""
        for name, stream in self.spec.demand.items():
            for attr, label in stream.set.items():
                self.value(self.attribute(attr), label)
            for attr, mix in stream.mix.items():
                self._mix_values(attr, mix)
        for pathway in self.spec.pathways.values():
            for item in pathway:
                for step_name, step in item.items():
                    for attr, mix in step.assign.items():
                        self._mix_values(attr, mix)
                    if step.branch is not None:
                        attr = self.attribute(step_name)
                        for label in step.branch:
                            if label != "by":
                                self.value(attr, str(label))
        for i, labels in enumerate(self.values):  # numbers in numeric order
            if labels and all(_is_number(v) for v in labels):
                self.values[i] = sorted(labels, key=float)

    def _mix_values(self, attr: str, mix) -> None:
        index = self.attribute(attr)
        mixes = list(mix.cases.values()) + ([mix.other] if mix.other else []) if isinstance(mix, ByAttribute) else [mix]
        for m in mixes:
            for label in m.values:
                self.value(index, label)

    def known_attribute(self, name: str, path: tuple) -> int:
        if name == "stream" and name not in self.attributes:
            self.error(path, "'stream' can only choose patients in a moment's for: {stream: ...}; to tell streams "
                             "apart elsewhere, give each stream an attribute with set, e.g. set: {mode: walk_in}")
            return -1
        if name not in self.attributes:
            self.error(path, f"no stream or step gives the attribute {name!r}" + hint(name, self.attributes, "attributes"))
            return -1
        return self.attributes.index(name)

    def varying(self, value, path: tuple, convert=lambda v: v) -> Varying:
        if not isinstance(value, ByAttribute):
            return Varying(-1, {}, convert(value))
        attr = self.known_attribute(value.by, (*path, "by"))
        cases = {}
        if attr >= 0:
            for label, case in value.cases.items():
                if label not in self.values[attr]:
                    self.error(path, f"{value.by} has no value {label!r} (it has {', '.join(self.values[attr])})")
                    continue
                cases[self.values[attr].index(label)] = convert(case)
            missing = [v for v in self.values[attr] if v not in value.cases]
            if missing and value.other is None:
                self.error(path, f"no value for {value.by} = {', '.join(missing)}: add them or 'other'")
        return Varying(attr if attr >= 0 else -1, cases, convert(value.other) if value.other is not None else None)

    def assignment(self, attr_name: str, mix, path: tuple, purpose: str) -> Assignment:
        attr = self.attribute(attr_name)

        def convert(m: Mix):
            return ([self.values[attr].index(v) for v in m.values], _cumulative(m.shares))
        return Assignment(attr, self.varying(mix, path, convert), purpose)

    # steps, outcomes, events ------------------------------------------------------
    def index_steps(self) -> dict[str, tuple[str, int, StepSpec]]:
        """Every step by its (scenario-wide unique) name: (pathway, position, spec)."""
        found: dict[str, tuple[str, int, StepSpec]] = {}
        for pathway, items in self.spec.pathways.items():
            if not items:
                self.error(("pathways", pathway), "a pathway needs at least one step")
            for i, item in enumerate(items):
                if len(item) != 1:
                    self.error(("pathways", pathway, i), "each step is one '- name: {...}' item")
                    continue
                (name, step), = item.items()
                if name in found:
                    first_pathway, first_position, _ = found[name]
                    file, line = self.located.where(("pathways", first_pathway, first_position, name))
                    where = f"line {line}" if file == self.located.where(("pathways", pathway, i, name))[0] else f"{file}:{line}"
                    self.error(("pathways", pathway, i, name),
                               f"step name {name!r} is already used in pathway {first_pathway!r} ({where}); "
                               "step names are unique across the scenario (they name events)")
                    continue
                found[name] = (pathway, i, step)
        return found

    def collect_outcomes(self) -> list[str]:
        outcomes = [DEFAULT_OUTCOME]
        def add(then: str) -> None:
            if then.startswith("exit ") and then[5:] not in outcomes:
                outcomes.append(then[5:])
        for items in self.spec.pathways.values():
            for item in items:
                for step in item.values():
                    add(step.then)
                    if step.gives_up_after is not None and step.gives_up_as not in outcomes:
                        outcomes.append(step.gives_up_as)
                    for option in (step.branch or {}).values():
                        if isinstance(option, dict):
                            add(str(option.get("then", "next")))
        return outcomes

    def marks(self) -> list[str]:
        marks: list[str] = []
        for items in self.spec.pathways.values():
            for item in items:
                for step in item.values():
                    marks.extend(m for m in step.mark if m not in marks)
        return marks

    def resources(self, steps_by_name) -> list[Resource]:
        out = []
        for i, (name, spec) in enumerate(self.spec.resources.items()):
            path = ("resources", name)
            count, cap = fleet_capacity(spec) if spec.fleet is not None else (spec.count, None)
            if spec.roster is not None:
                cap = staff_by_minute(spec.roster)
            queue = -1
            if spec.queue != "fifo":
                queue = self.known_attribute(spec.queue, (*path, "queue"))
            occupied, enter, remaining = 0.0, -1, None
            if spec.initial is not None:
                init = spec.initial
                capacity0 = spec.count if cap is None else float(cap[0])
                occupied = init.occupied if init.occupied > 1 or isinstance(init.occupied, int) else init.occupied * capacity0
                occupied = float(round(occupied)) if np.isfinite(occupied) else 0.0
                if np.isfinite(capacity0) and occupied > capacity0:
                    self.error((*path, "initial", "occupied"), f"{occupied:g} occupied is more than the {capacity0:g} there are at time 0")
                if init.enter is not None:
                    if init.enter not in steps_by_name:
                        self.error((*path, "initial", "enter"), f"no step named {init.enter!r}" + hint(init.enter, steps_by_name, "steps"))
                    else:
                        enter = list(steps_by_name).index(init.enter)
                        if steps_by_name[init.enter][2].takes is None:
                            self.error((*path, "initial", "enter"), f"step {init.enter!r} has no takes: the occupants' remaining time is drawn from it")
                remaining = init.remaining
            out.append(Resource(i, name, count, cap, spec.cost_per_hour, queue, occupied, enter, remaining,
                                spec.kind or ""))
        return out

    def steps(self, steps_by_name, events, outcomes, resources) -> list[Step]:
        res_names = [r.name for r in resources]
        held = {r for _, _, spec in steps_by_name.values() for r in spec.hold}
        out = []
        for index, (name, (pathway, position, spec)) in enumerate(steps_by_name.items()):
            path = ("pathways", pathway, position, name)
            for r in spec.release:
                if r in res_names and r not in held:
                    self.error((*path, "release"), f"no step holds {r!r}: release frees what an earlier step took "
                                                   "with hold (a step's use frees itself when the step ends)")
            for m in spec.mark:
                if m in ("arrived", "left"):
                    self.error((*path, "mark"), f"{m!r} is recorded for every patient already; give the mark another name")

            def resource_list(key: str, items) -> list[int]:
                found = []
                for r in items:
                    if r not in res_names:
                        self.error((*path, key), f"no resource named {r!r}" + hint(r, res_names, "resources"))
                    else:
                        found.append(res_names.index(r))
                return found

            use = resource_list("use", spec.use)
            hold = resource_list("hold", spec.hold)
            release = resource_list("release", spec.release)
            then = self.then(spec.then, path, pathway, position, steps_by_name, outcomes, "then")
            branch = None
            if spec.branch is not None:
                branch = self.branch(name, spec.branch, (*path, "branch"), pathway, position, steps_by_name, outcomes)
            priority = self.known_attribute(spec.priority, (*path, "priority")) if spec.priority else -1
            wait = None
            if spec.wait_until is not None:
                wait = _cumulative(np.asarray(spec.wait_until) / sum(spec.wait_until))
            out.append(Step(
                index=index, name=name, pathway=pathway,
                queued=events.index(f"{name}.queued"), start=events.index(f"{name}.start"),
                end=events.index(f"{name}.end"), marks=[events.index(m) for m in spec.mark],
                acquire=hold + use, release_after_use=use, release=release, after=spec.after,
                takes=self.varying(spec.takes, (*path, "takes")) if spec.takes is not None else None,
                priority=max(priority, -1),
                patience=self.varying(spec.gives_up_after, (*path, "gives_up_after")) if spec.gives_up_after is not None else None,
                gives_up_as=outcomes.index(spec.gives_up_as) if spec.gives_up_after is not None else 0,
                wait_until=wait,
                assign=[self.assignment(a, m, (*path, "assign", a), f"assign:{name}:{a}") for a, m in spec.assign.items()],
                branch=branch, then=then,
                got=[events.index(f"{name}.got_{r}") for r in (*spec.hold, *spec.use)] if len(hold + use) > 1 else [],
                reached=events.index(f"{name}.time_reached") if wait is not None else -1,
                cleared=events.index(f"{name}.cleared") if spec.after is not None else -1))
        return out

    def then(self, then: str, path, pathway, position, steps_by_name, outcomes, key) -> int:
        """A step's successor: a step index, or ``-2 - outcome`` for an exit."""
        if then.startswith("exit "):
            return -2 - outcomes.index(then[5:])
        if then.startswith("pathway "):
            target = then[8:]
            if target not in self.spec.pathways:
                self.error((*path, key), f"no pathway named {target!r}" + hint(target, self.spec.pathways, "pathways"))
                return -2
            first = self.step_at(steps_by_name, target, 0)
            return first if first is not None else -2
        if position + 1 < len(self.spec.pathways[pathway]):
            nxt = self.step_at(steps_by_name, pathway, position + 1)
            return nxt if nxt is not None else -2
        return -2 - outcomes.index(DEFAULT_OUTCOME)

    def step_at(self, steps_by_name, pathway: str, position: int) -> int | None:
        """The index of the step at ``position`` of ``pathway``; None if it was not indexed (a
        malformed item, or a duplicate name already reported)."""
        items = self.spec.pathways[pathway]
        if position < len(items) and len(items[position]) == 1:
            name = next(iter(items[position]))
            if steps_by_name.get(name, ())[:2] == (pathway, position):
                return list(steps_by_name).index(name)
        return None

    def branch(self, name, raw: dict, path, pathway, position, steps_by_name, outcomes) -> BranchModel | None:
        try:
            branch = parse_branch(raw)
        except PartError as exc:
            example = "; an option reads 'label: 0.3' or 'label: {p: 0.3, then: exit discharged}'"
            self.error((*path, *exc.parts), f"{exc}{example if len(exc.parts) == 1 else ''}")
            return None
        attr = self.attributes.index(name)
        targets = [self.then(o.then, (*path, label), pathway, position, steps_by_name, outcomes, "then")
                   for label, o in zip(branch.labels, branch.options)]
        codes = [self.values[attr].index(label) for label in branch.labels]
        if branch.by is None:
            shares = [o.p for o in branch.options]
            if any(isinstance(p, ByAttribute) for p in shares):
                self.error(path, "an option's share varies by an attribute: give 'by' on the branch")
                return None
            if abs(sum(shares) - 1) > 1e-6:
                self.error(path, f"the options' shares must sum to 1, they sum to {sum(shares):.6g}")
            table = Varying(-1, {}, _cumulative(shares))
        else:
            by = self.known_attribute(branch.by, (*path, "by"))
            if by < 0:
                return None
            cases = {}
            for code, label in enumerate(self.values[by]):
                shares = []
                for opt_label, o in zip(branch.labels, branch.options):
                    p = o.p.for_value(label) if isinstance(o.p, ByAttribute) else o.p
                    if p is None:
                        self.error((*path, opt_label), f"no share for {branch.by} = {label}")
                        p = 0.0
                    shares.append(p)
                if abs(sum(shares) - 1) > 1e-6:
                    self.error(path, f"for {branch.by} = {label} the options' shares sum to {sum(shares):.6g}, not 1")
                cases[code] = _cumulative(shares)
            table = Varying(by, cases, None)
        return BranchModel(attr, table, targets, codes, f"branch:{name}")

    def streams(self, steps_by_name) -> list[Stream]:
        out = []
        for i, (name, spec) in enumerate(self.spec.demand.items()):
            path = ("demand", name)
            first = 0
            if spec.pathway not in self.spec.pathways:
                self.error((*path, "pathway"), f"no pathway named {spec.pathway!r}" + hint(spec.pathway, self.spec.pathways, "pathways"))
            else:
                first = self.step_at(steps_by_name, spec.pathway, 0) or 0
            out.append(Stream(
                index=i, name=name, first_step=first, rate_by_hour_of_week=_rates(spec),
                at=np.sort(np.asarray(spec.at, dtype=float)) if spec.at is not None else None,
                every=spec.every, start=spec.start,
                fixed_attributes=[(self.attributes.index(a), self.values[self.attributes.index(a)].index(v)) for a, v in spec.set.items()],
                mixes=[self.assignment(a, m, (*path, "mix", a), f"mix:{a}") for a, m in spec.mix.items()]))
        return out

    def stages(self) -> list[tuple[str, str]]:
        stages = [(k, v) for k, v in self.spec.stages.items()]
        for moment in self.spec.moments.values():
            if moment.stage not in [s for s, _ in stages]:
                if self.spec.stages:
                    continue  # reported by moments()
                stages.append((moment.stage, moment.stage.replace("_", " ")))
        journey = self.spec.journey.stage
        if journey not in [s for s, _ in stages]:
            stages.append((journey, journey.replace("_", " ")))
        return stages


def _rates(spec) -> np.ndarray | None:
    """Arrivals per minute in each hour of the week, for per_day / per_hour streams."""
    if spec.per_day is None and spec.per_hour is None:
        return None
    per_day = spec.per_day if spec.per_day is not None else spec.per_hour * 24
    if spec.by_week is not None:
        week = np.asarray(spec.by_week, dtype=float)
        return per_day * 7 * week / week.sum() / 60
    hours = np.asarray(spec.by_hour if spec.by_hour is not None else [1.0] * 24, dtype=float)
    days = np.asarray(spec.by_weekday if spec.by_weekday is not None else [1.0] * 7, dtype=float)
    per_hour = np.outer(days / days.mean(), hours / hours.sum()) * per_day
    return per_hour.ravel() / 60


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def compile_model(spec: ScenarioSpec, located: Located) -> Model:
    """Compile a validated spec; raises :class:`ScenarioError` with every problem found."""
    c = Compiler(spec, located)
    c.collect_attributes()
    places = read_places(c)
    steps_by_name = c.index_steps()
    outcomes = c.collect_outcomes()
    recorded = ["arrived", *c.marks(), *[e for n, (_, _, spec) in steps_by_name.items()
                                         for e in step_event_names(n, list(spec.hold), list(spec.use), spec.wait_until is not None,
                                                                   spec.after is not None)],
                "left"]
    events = [*recorded, *(name for name in spec.events if name not in recorded)]  # derived events last
    resources = c.resources(steps_by_name)
    steps = c.steps(steps_by_name, events, outcomes, resources)
    streams = c.streams(steps_by_name)
    stages = c.stages()
    run, journey = spec.run, spec.journey
    model = Model(c.attributes, c.values, events, outcomes, resources, steps, streams, [], stages, run.length,
                  run.warm_up, run.max_inside, journey.stage, journey.title)
    model.reachable_steps, model.reachable_outcomes = reachability(steps, len(outcomes))
    model.network = compile_network(c, places, model, steps_by_name)
    model.derived = compile_derived(c, recorded, events)
    model.moments = compile_moments(c, events, outcomes, [s.name for s in streams], stages)
    model.journey_tiers = compile_journey(c)
    check_unused_resources(c, resources, steps)
    check_cycles(c, steps)
    if not c.problems:
        model.blocking = held_while_waiting(steps, resources, streams)
    check_optimise(c)
    if c.problems:
        raise ScenarioError(c.problems)
    return model
