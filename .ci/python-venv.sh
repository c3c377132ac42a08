#!/usr/bin/env bash
# Creates the Python venv the `sparse run` tests use (streamparse + pystorm from PyPI) and
# prints its bin directory on stdout (the only thing printed there; pip's output goes to
# stderr).
#
#   bash .ci/python-venv.sh [VENV_DIR]      # default: <repo>/target/py-venv
#
# Idempotent and quick when the venv is already there: a marker file holding the pinned
# requirements is written last, and when it matches nothing is installed. A venv without
# a matching marker (interrupted install, changed pins) is deleted and created again.
# Used by .ci/run and, on a developer machine, by sparse/tests/integration/run_python.rs
# when the venv is missing.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
venv="${1:-$repo/target/py-venv}"
python="${PYTHON:-python3}"

# streamparse 5.0.1 (the last release) with pystorm 3.1.4 (the last release), and every
# transitive dependency pinned to the versions resolved on Python 3.11 (all wheels).
pins="streamparse==5.0.1
pystorm==3.1.4
bcrypt==5.0.0
certifi==2026.10.19.post1
cffi==2.1.1
charset-normalizer==3.5.3
cryptography==50.0.2
Cython==3.3.1
dill==0.4.1
Fabric39==1.15.3.post2
idna==3.20
ijson==3.6.0
Jinja2==3.1.6
MarkupSafe==3.0.4
multiprocess==0.70.19
paramiko==2.12.0
pathos==0.2.8
ply==3.11
pox==0.3.7
ppft==1.7.8
pycparser==3.12
PyNaCl==1.6.2
requests==2.34.2
ruamel.yaml==0.19.1
simplejson==4.3.0
six==1.17.0
texttable==1.7.2
thriftpy2==0.7.1
urllib3==2.8.0"

marker="$venv/.sparse-requirements.txt"
if [[ -f "$marker" && "$(cat "$marker")" == "$pins" && -x "$venv/bin/streamparse_run" ]]; then
    echo "$venv/bin"
    exit 0
fi

{
    echo "== creating the Python venv for the runner tests in $venv"
    rm -rf "$venv"
    mkdir -p "$(dirname "$venv")"
    "$python" -m venv "$venv"
    req="$(mktemp)"
    trap 'rm -f "$req"' EXIT
    printf '%s\n' "$pins" >"$req"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input -r "$req"
    "$venv/bin/python" -c 'import streamparse, pystorm; print("streamparse", streamparse.__version__, "pystorm", pystorm.__version__)'
} >&2
test -x "$venv/bin/streamparse_run" || {
    echo "error: $venv/bin/streamparse_run was not installed" >&2
    exit 1
}
printf '%s\n' "$pins" >"$marker"
echo "$venv/bin"
