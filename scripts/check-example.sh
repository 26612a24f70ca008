#!/usr/bin/env bash
# Installs build/ into build/install and builds examples/next_token against the installed package
# (find_package(tokprob)), then checks that it gives the command line's top tokens.
set -euo pipefail
cd "$(dirname "$0")/.."
fixtures="${TOKPROB_FIXTURES:-$(cd .. && pwd)/shared/fixtures}"
rm -rf build/install build/example
cmake --install build --prefix build/install >/dev/null
cmake -S examples/next_token -B build/example -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$PWD/build/install" >/dev/null
cmake --build build/example >/dev/null
model="$fixtures/gpt2-tiny"
text="This weekend I plan to"
got=$(./build/example/next_token "$model" "$text" | cut -f1 | tr '\n' ' ')
want=$(./build/tokprob next -m "$model" -k 5 --format json "$text" |
  python3 -c 'import json, sys; print(" ".join(str(t["id"]) for t in json.loads(sys.stdin.readline())["top"]), end=" ")')
echo "example: $got"
if [ "$got" != "$want" ]; then
  echo "examples/next_token through the installed package gave ids '$got', the command line '$want'" >&2
  exit 1
fi
