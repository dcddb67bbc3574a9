# Sourced by the other scripts: a virtual environment in .venv with patientflow installed.
# Re-installs only when pyproject.toml changed since the last install.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
python=${PYTHON:-python3}
extras=${PF_EXTRAS:-}
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
stamp=".venv/.patientflow-installed${extras:+-$extras}"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "Installing patientflow and its dependencies into .venv ..." >&2
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip >&2
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".${extras:+[$extras]}" >&2
  touch "$stamp"
fi
# The package's own modules compiled once, here: an editable install leaves that to the first
# import, which cannot keep the result where PYTHONDONTWRITEBYTECODE is set (as in many
# containers), and every process (each worker's server among them) would compile them again.
.venv/bin/python -m compileall -q patientflow >&2
