"""The pages: every report as one self-contained HTML file, and every figure as a plotly Figure.

:mod:`.frame` is what every page shares (head, style, cells); :mod:`.pages` writes the wait-time
report; :mod:`.figures` draws its pictures (also ``res.plot`` in a notebook);
:mod:`.comparison_page` (with :mod:`.comparison_figures`), :mod:`.actual_page`,
:mod:`.checkfit_page` and :mod:`.optimisation_page` are the other pages; :mod:`.run_folder` is
the recipe of ``patientflow run`` (``pf.run_to_folder``): a run and every file it writes, and
:mod:`.comparison_folder` that of ``patientflow compare``.

May import: moments, experiment, eventlog and optimiser (their results), scenario, and the leaf
modules below them.
"""
