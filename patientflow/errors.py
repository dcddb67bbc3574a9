"""Errors a planner can act on: every problem in a scenario is reported as ``file:line: key: message``."""

from __future__ import annotations

from dataclasses import dataclass
from difflib import get_close_matches


@dataclass(frozen=True)
class Problem:
    """One located problem in a scenario file."""

    file: str
    line: int
    key: str
    message: str
    severity: str = "error"

    def __str__(self) -> str:  # line 0: a place with no lines, such as changes given in code
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.key}: {self.message}"


class ScenarioError(ValueError):
    """A scenario that cannot be run; ``problems`` lists every error found, in file order."""

    def __init__(self, problems: list[Problem]):
        files: dict[str, int] = {}
        for problem in problems:
            files.setdefault(problem.file, len(files))
        self.problems = sorted(problems, key=lambda p: (files[p.file], p.line))
        super().__init__("\n".join(str(p) for p in self.problems))

    def __reduce__(self):  # picklable, to cross process boundaries whole
        return (type(self), (self.problems,))


class PartError(ValueError):
    """A bad value inside a field, raised by a field parser: ``parts`` are the keys within the
    field (a shift of a roster, a value of a mix) so that the problem points at its own line."""

    def __init__(self, message: str, *parts: object):
        super().__init__(message)
        self.parts = parts

    def __reduce__(self):
        return (type(self), (str(self), *self.parts))


_EXPECTED = {
    "dict_type": "a mapping of keys (key: value)", "model_type": "a mapping of keys (key: value)",
    "list_type": "a list", "tuple_type": "a list",
    "int_type": "a whole number", "int_parsing": "a whole number", "int_from_float": "a whole number",
    "float_type": "a number", "float_parsing": "a number", "finite_number": "a finite number",
    "bool_type": "true or false", "bool_parsing": "true or false",
    "string_type": "text",
}


def plain_message(item: dict, known: list[str] = ()) -> str:
    """A pydantic error (one item of ``ValidationError.errors()``) in a planner's words;
    ``known`` are the keys the mapping holding the error accepts (for "did you mean")."""
    from difflib import get_close_matches

    kind, ctx, loc = item["type"], item.get("ctx") or {}, item["loc"]
    given = item.get("input")
    if loc and loc[-1] == "[key]" and kind == "string_type":
        return f"expected a name, got {given!r}"
    if kind in ("extra_forbidden", "invalid_key"):
        close = get_close_matches(str(loc[-1]), list(known), n=1)
        return f"unknown key {loc[-1]!r}" + (f"; did you mean {close[0]!r}?" if close else
                                             (f"; expected one of {', '.join(known)}" if known else ""))
    if kind == "missing":
        return f"missing required key {loc[-1]!r}"
    if kind == "string_pattern_mismatch":
        return f"names use letters, digits and _ and start with a letter, got {given!r}"
    if kind in _EXPECTED:
        return f"expected {_EXPECTED[kind]}, got {given!r}"
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        words = {"greater_than": "more than", "greater_than_equal": "at least",
                 "less_than": "less than", "less_than_equal": "at most"}[kind]
        limit = next(iter(ctx.values()), "")
        return f"must be {words} {limit:g}, got {given!r}" if isinstance(limit, (int, float)) else \
            f"must be {words} {limit}, got {given!r}"
    if kind == "literal_error":
        return f"expected {ctx.get('expected', 'one of the listed values')}, got {given!r}"
    message = item["msg"]
    return message[len("Value error, "):] if message.startswith("Value error, ") else message


def hint(name: str, known, what: str = "") -> str:
    """"did you mean" the closest known name; failing that, the known names (if few)."""
    known = list(known)
    close = get_close_matches(name, known, n=1)
    if close:
        return f"; did you mean {close[0]!r}?"
    if what and known and len(known) <= 12:
        return f"; known {what}: {', '.join(known)}"
    if what and not known:
        return f"; there are no {what}"
    return ""
