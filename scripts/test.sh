#!/usr/bin/env bash
# Run the whole test suite (installing what it needs on first use), slow statistical tests included.
# Extra arguments go to pytest, e.g.  bash scripts/test.sh -m "not slow"
PF_EXTRAS=test
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
.venv/bin/python -m pytest -n 2 --dist loadfile "$@"
