"""``python -m patientflow.cli``: the same as the ``patientflow`` command."""

from .main import main

main()
