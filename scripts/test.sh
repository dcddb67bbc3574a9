#!/usr/bin/env bash
# Run the whole test suite (installing what it needs on first use), slow statistical tests included.
# Extra arguments go to pytest, e.g.  bash scripts/test.sh -m "not slow"
# The report's browser tests use Debian's Chromium: scripts/install-browser.sh installs it where it
# can (root with apt-get); without it they skip, except under CI=true where they fail.
PF_EXTRAS=test
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
bash scripts/install-browser.sh || true
.venv/bin/python -m pytest -n 2 --dist loadfile "$@"
