"""`tokprob serve` on a model folder in a subprocess, for tests of real HTTP clients."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from conftest import BINARY


@contextmanager
def serve(folder: Path, *args: str) -> Iterator[str]:
    """Serves `folder` on a free port of 127.0.0.1; yields the base URL (http://127.0.0.1:PORT)."""
    if not BINARY.exists():
        pytest.fail(f"the tokprob binary {BINARY} is missing (set TOKPROB_BINARY)")
    process = subprocess.Popen([str(BINARY), "serve", "-m", str(folder), "--host", "127.0.0.1", "--port", "0", *args],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        found = re.search(r"on (http://[^/\s]+)/", line)
        if not found:
            assert process.stderr is not None
            pytest.fail(f"tokprob serve did not start: {line!r} {process.stderr.read()!r}")
        yield found.group(1)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
