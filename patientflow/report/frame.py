"""The frame every page shares: its head and style, how a figure is embedded, how a table cell
writes a number. A page module writes only its own body.
"""

from __future__ import annotations

import html

import numpy as np

from ..units import SHARE, number_text, value_text
from .palette import MISSED, status_css


def cell_text(value, unit: str = "") -> str:
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    return value_text(value, unit) if unit in (SHARE, "min") else number_text(value)


STYLE = status_css() + """
body { font-family: system-ui, -apple-system, sans-serif; margin: 1.5em auto; max-width: 1180px; color: #222; padding: 0 1em; }
h1 { margin-bottom: 0.2em; } h2 { border-bottom: 2px solid #eceff1; padding-bottom: 0.2em; margin-top: 1.6em; }
table { border-collapse: collapse; font-size: 0.85em; width: 100%; }
th, td { border-bottom: 1px solid #ddd; padding: 3px 6px; text-align: right; }
th:nth-child(-n+3), td:nth-child(-n+3) { text-align: left; }
td.nowrap { white-space: nowrap; }
.warn { background: #fff3cd; padding: 0.5em; } .headline { font-size: 1.1em; background: #f5f7f8; padding: 0.6em 0.8em; }
.headline ul { margin: 0.3em 0; padding-left: 1.2em; font-size: 0.9em; } .rule { font-size: 0.8em; color: #555; }
.cards { display: flex; flex-wrap: wrap; gap: 0.6em; } .card { background: #f5f7f8; padding: 0.5em 0.8em; min-width: 12em; }
.card b { display: block; font-size: 1.4em; }
nav a { margin-right: 1em; } .fig { page-break-inside: avoid; }
#act { border-left: 4px solid MISSED_COLOUR; padding: 0.2em 0 0.2em 1em; margin: 1em 0; }
#act h2 { margin-top: 0.3em; } ol.act li { margin: 0.45em 0; line-height: 1.4; }
ol.act .try { display: block; font-size: 0.9em; color: #1b5e20; }
#act pre { background: #f5f7f8; padding: 0.4em 0.6em; white-space: pre-wrap; word-break: break-all; font-size: 0.85em; margin: 0.3em 0; }
@media print { nav { display: none; } body { max-width: none; } }
""".replace("MISSED_COLOUR", MISSED)


def figure_html(fig, first: bool) -> str:
    import plotly.io as pio
    return "<div class='fig'>" + pio.to_html(fig, include_plotlyjs=True if first else False, full_html=False,
                                              config={"displaylogo": False, "responsive": True}) + "</div>"


def page_start(title: str) -> str:
    """The page's head and the opening of its body: ``title`` is plain text (escaped here)."""
    return ('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>\n")
