"""The command line: ``patientflow run | compare | optimise | validate | schema | report-actual |
calibrate | check-fit``. It prints and exits (0 ok, 2 bad input, 1 internal error); the library
below returns.

:mod:`.app` holds the app, its shared helpers and the simulation commands; :mod:`.data` the
commands that work from recorded data; :mod:`.terminal` what is printed about a run; :mod:`.comparison_terminal` what ``compare`` prints.

May import: everything.
"""
