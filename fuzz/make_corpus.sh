#!/usr/bin/env bash
# Builds the seed corpora of the fuzz targets from the shared fixtures, cut down to small files,
# into OUT_DIR/<target>/ (nothing here is committed; fixtures stay where they are).
# usage: fuzz/make_corpus.sh [FIXTURES_DIR [OUT_DIR]]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
fixtures="${1:-${TOKPROB_FIXTURES:-$here/../../shared/fixtures}}"
out="${2:-$here/../build-fuzz/seeds}"
rm -rf "$out"
mkdir -p "$out"
if [ ! -d "$fixtures" ]; then
  echo "make_corpus.sh: no fixtures at $fixtures: seeds are the hand-written ones only" >&2
  fixtures="$(mktemp -d)"
fi
if command -v python3 >/dev/null; then
  python3 "$here/make_seeds.py" "$fixtures" "$out"
else
  echo "make_corpus.sh: python3 not found: the fuzzers start from empty corpora" >&2
fi
