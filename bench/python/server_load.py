"""A load test of `tokprob serve` on loopback: N clients (default 200) each sending requests one
after another for a while (default 60 s). Reports answered requests by status, failures (anything
but a 200 or a 503 past the queue bound), p50/p99 latency of the 200s, and the server's resident
memory over the run (flat: the queue is bounded).

    python bench/python/server_load.py [--model FOLDER] [--clients 200] [--seconds 60]
"""

from __future__ import annotations

import argparse
import http.client
import json
import socket
import statistics
import subprocess
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(ROOT.parent / "shared/fixtures/tinystories-656k"))
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--binary", default=str(ROOT / "build/tokprob"))
    parser.add_argument("--serve-args", default="--http-threads 16 --max-queue 64",
                        help="extra arguments of tokprob serve")
    args = parser.parse_args()
    port = free_port()
    server = subprocess.Popen([args.binary, "serve", "-m", args.model, "--port", str(port), *args.serve_args.split()],
                              stdout=subprocess.PIPE, text=True)
    assert server.stdout is not None
    server.stdout.readline()  # "serving ... on http://..." once it listens

    lock = threading.Lock()
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    stop = time.monotonic() + args.seconds
    body = json.dumps({"text": "Once upon a time, there was a little", "top_k": 5})

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while time.monotonic() < stop:
            start = time.monotonic()
            try:
                conn.request("POST", "/v1/next", body, {"Content-Type": "application/json"})
                response = conn.getresponse()
                response.read()
                key = str(response.status)
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                if response.status == 503:
                    time.sleep(float(response.getheader("Retry-After", "1")) / 10)  # a brisk client
            except (OSError, http.client.HTTPException) as e:
                key = type(e).__name__
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            with lock:
                statuses[key] = statuses.get(key, 0) + 1
                if key == "200":
                    latencies.append(time.monotonic() - start)

    threads = [threading.Thread(target=client) for _ in range(args.clients)]
    memory = [rss_mb(server.pid)]
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        time.sleep(1)
        memory.append(rss_mb(server.pid))
    for t in threads:
        t.join()
    server.terminate()
    server.wait(timeout=60)

    failures = sum(n for k, n in statuses.items() if k not in ("200", "503"))
    q = statistics.quantiles(latencies, n=100) if len(latencies) >= 2 else [float("nan")] * 99
    print(f"{args.clients} clients for {args.seconds:.0f} s against {args.model} ({args.serve_args})")
    print(f"answers: {dict(sorted(statuses.items()))}; failures (not 200 or 503): {failures}")
    print(f"throughput: {statuses.get('200', 0) / args.seconds:.0f} requests/s answered 200")
    print(f"latency of the 200s: p50 {q[49] * 1000:.1f} ms, p99 {q[98] * 1000:.1f} ms")
    print(f"server RSS: start {memory[0]:.1f} MB, end {memory[-1]:.1f} MB, max {max(memory):.1f} MB")


if __name__ == "__main__":
    main()
