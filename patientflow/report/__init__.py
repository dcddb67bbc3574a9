"""The pages: every report as one self-contained HTML file, and every figure as a plotly Figure.

:mod:`.pages` writes the wait-time report and the comparison; :mod:`.figures` draws the report's
pictures (also ``res.plot`` in a notebook); :mod:`.actual_page`, :mod:`.checkfit_page` and
:mod:`.optimisation_page` word the other pages.

May import: moments, experiment (results), eventlog and optimiser (their results), and the leaf
modules below them.
"""
