"""`tokprob serve` on a model folder in a subprocess, for tests of real HTTP clients."""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from conftest import BINARY


@contextmanager
def serve(folder: Path, *args: str) -> Iterator[str]:
    """Serves `folder` on a free port of 127.0.0.1; yields the base URL (http://127.0.0.1:PORT)."""
    if not BINARY.exists():
        pytest.fail(f"the tokprob binary {BINARY} is missing (set TOKPROB_BINARY)")
    # stderr goes to a file: a pipe nobody reads could fill up and stall the server.
    errors = tempfile.TemporaryFile(mode="w+")
    process = subprocess.Popen([str(BINARY), "serve", "-m", str(folder), "--host", "127.0.0.1", "--port", "0", *args],
                               stdout=subprocess.PIPE, stderr=errors, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()  # the one line it prints until it stops
        found = re.search(r"on (http://[^/\s]+)/", line)
        if not found:
            process.wait(timeout=20)
            errors.seek(0)
            pytest.fail(f"tokprob serve did not start: {line!r} {errors.read()!r}")
        yield found.group(1)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        errors.close()


def import_openai() -> Any:
    """The OpenAI client's module; skipped where it is not installed, failed under CI."""
    try:
        import openai
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("openai is missing (tests/python/requirements.txt installs it)")
        pytest.skip("openai is not installed")
    return openai
