#!/usr/bin/env bash
# Run the bundled baseline scenario end to end (installing what it needs on first use).
# Extra arguments go to `patientflow run`, e.g.  bash scripts/run.sh --replications 5
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
.venv/bin/patientflow run scenarios/baseline.yaml "$@"
