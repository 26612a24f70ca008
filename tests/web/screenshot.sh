#!/usr/bin/env bash
# Screenshots of the web page with headless Chromium, for a person to look at (not run by CI:
# Chromium is large). Usage: tests/web/screenshot.sh [MODEL_DIR] [OUT.png]
# Starts `tokprob serve` on a free loopback port, waits for it, screenshots "/", stops it.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
model="${1:-$root/../shared/fixtures/gpt2-tiny}"
out="${2:-$PWD/tokprob-page.png}"
bin="${TOKPROB_BIN:-$root/build/tokprob}"
browser="$(command -v chromium || command -v chromium-browser || true)"
[ -n "$browser" ] || { echo "screenshot.sh: chromium not installed (apt-get install chromium)" >&2; exit 2; }

log="$(mktemp)"; profile="$(mktemp -d)"
"$bin" serve -m "$model" --host 127.0.0.1 --port 0 --threads 1 >"$log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$log" "$profile"' EXIT
port=""
for _ in $(seq 1 300); do
  port="$(sed -n 's|.*on http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$log")"
  [ -n "$port" ] && break
  kill -0 "$server" 2>/dev/null || { cat "$log" >&2; exit 1; }
  sleep 0.1
done
[ -n "$port" ] || { echo "screenshot.sh: the server printed no port" >&2; exit 1; }

# --virtual-time-budget lets the page's fetches and debounce finish before the shot.
timeout 120 "$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$profile" --virtual-time-budget=5000 --screenshot="$out" --window-size=1200,800 \
  "http://127.0.0.1:$port/" >/dev/null 2>&1
[ -s "$out" ] || { echo "screenshot.sh: no screenshot written" >&2; exit 1; }
echo "$out"
