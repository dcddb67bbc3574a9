"""The report's colours, one palette for every page: Okabe and Ito's colour-blind-safe colours.

A verdict has one colour wherever it is drawn (a marker, a bar, the words of a table): met is
bluish green, close is orange, missed is dark red — told apart by hue and by lightness, so also by
readers who do not see red and green apart, and in greyscale. Lines and markers of several series
(streams, resources, scenarios) take :func:`series` in turn: seven colours, then the same again
dashed, so that a legend never shows two series alike.
"""

from __future__ import annotations

MET, CLOSE, MISSED, NO_TARGET = "#009E73", "#E69F00", "#B2182B", "#9AA5B1"
STATUS_COLOUR = {"met": MET, "close": CLOSE, "missed": MISSED, "no target": NO_TARGET}
# the same verdicts as words on a white page (darker where the marker colour is too light to read)
STATUS_TEXT = {"met": "#00745A", "close": "#8A5A00", "missed": MISSED}

INK, GREY, PALE = "#37474F", "#90A4AE", "#CFD8DC"
BLUE, ORANGE, GREEN, PINK, SKY, VERMILLION, PURPLE = \
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#6A3D9A"
SERIES = (BLUE, ORANGE, GREEN, PINK, SKY, VERMILLION, PURPLE)
DASHES = ("solid", "dash", "dot", "dashdot")

# the comparison's verdicts on a difference, and the optimiser's on a candidate
DIFFERENCE_COLOUR = {"improved": MET, "worsened": MISSED, "changed": BLUE, "too few patients": CLOSE}
CANDIDATE_COLOUR = {"meets": MET, "better": MET, "misses": MISSED, "not shown": CLOSE, "not better": GREY, "": INK}

# heatmaps: light to dark, one hue, readable in greyscale
COUNT_SCALE, WAIT_SCALE = "Blues", "YlOrRd"


def series(k: int) -> dict:
    """The line of the ``k``-th series of a figure (a plotly ``line`` dict): its colour and dash."""
    return {"color": SERIES[k % len(SERIES)], "dash": DASHES[(k // len(SERIES)) % len(DASHES)]}


def colour(k: int) -> str:
    """The colour of the ``k``-th series (markers and bars, which have no dash)."""
    return SERIES[k % len(SERIES)]


def status_css() -> str:
    """The verdict classes of the pages' style sheet, in the palette's colours."""
    return " ".join(f".{status.replace(' ', '-')} {{ color: {c}; font-weight: 600; }}" for status, c in STATUS_TEXT.items())

# a fleet's vehicle states (model.VEHICLE_STATES): free in greys and green, serving a patient in
# the warm colours on the way out and the cool ones at and after the hospital
STATE_COLOUR = {"at_station": PALE, "mobilising": ORANGE, "to_patient": VERMILLION, "on_scene": PINK,
                "to_hospital": PURPLE, "at_hospital": BLUE, "clearing": SKY, "returning": GREEN, "run_over": INK}
