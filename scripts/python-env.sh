#!/usr/bin/env bash
# Creates (or updates) the Python environment of the tests and benchmarks in .venv/ from the pinned
# tests/python/requirements.txt, and prints its python's path. Idempotent: a satisfied environment
# costs one pip check.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv" >&2
fi
stamp="$venv/.requirements"
if ! cmp -s tests/python/requirements.txt "$stamp"; then
  "$venv/bin/pip" install -q --disable-pip-version-check -r tests/python/requirements.txt >&2
  cp tests/python/requirements.txt "$stamp"
fi
echo "$PWD/$venv/bin/python"
