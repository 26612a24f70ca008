"""Shared pieces of the Python tests: where the fixtures and the command-line binary are."""

from __future__ import annotations

import atexit
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(os.environ.get("TOKPROB_FIXTURES", ROOT.parent / "shared" / "fixtures"))
# The caches of converted weights and parsed tokenizers: a folder of this run's own, not the user's
# (the tests load hundreds of temporary model folders, each a new cache entry).
if "TOKPROB_WEIGHT_CACHE" not in os.environ:
    os.environ["TOKPROB_WEIGHT_CACHE"] = tempfile.mkdtemp(prefix="tokprob-test-cache-")
    atexit.register(shutil.rmtree, os.environ["TOKPROB_WEIGHT_CACHE"], True)
BINARY = Path(os.environ.get("TOKPROB_BINARY", ROOT / "build" / "tokprob"))


def fixture(name: str) -> Path:
    """A fixture folder; under CI a missing one fails instead of skipping."""
    path = FIXTURES / name
    if not path.is_dir():
        if os.environ.get("CI") or os.environ.get("TOKPROB_REQUIRE_FIXTURES") == "1":
            pytest.fail(f"fixture {path} is missing (set TOKPROB_FIXTURES)")
        pytest.skip(f"fixture {path} is missing")
    return path


def golden(name: str) -> dict[str, Any]:
    with open(fixture(name) / "golden.json", encoding="utf-8") as f:
        return json.load(f)  # type: ignore[no-any-return]


def cli_json(*args: str) -> list[dict[str, Any]]:
    """The command line's --format json output, one object per line."""
    if not BINARY.exists():
        pytest.fail(f"the tokprob binary {BINARY} is missing (set TOKPROB_BINARY)")
    out = subprocess.run([str(BINARY), *args, "--format", "json"], check=True, capture_output=True, text=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def cli_error(*args: str) -> str:
    """The one-line error the command line prints (without its "tokprob: " prefix)."""
    done = subprocess.run([str(BINARY), *args], capture_output=True, text=True)
    assert done.returncode != 0, f"tokprob {' '.join(args)} succeeded"
    line = done.stderr.strip()
    assert line.startswith("tokprob: ")
    return line[len("tokprob: "):]


CHAT_TEMPLATE = FIXTURES / "modern-tokenizers" / "phi3" / "chat_template.Phi-3.5-mini-instruct.jinja"


def llama_chat_folder(out: Path) -> Path:
    """A copy of llama-tiny in `out` with the Phi-3.5 chat template beside it (short enough for the
    model's 128 positions)."""
    source = fixture("llama-tiny")
    if not CHAT_TEMPLATE.exists():
        if os.environ.get("CI"):
            pytest.fail(f"no template at {CHAT_TEMPLATE}")
        pytest.skip(f"no template at {CHAT_TEMPLATE}")
    for f in source.iterdir():
        shutil.copy(f, out / f.name)
    shutil.copy(CHAT_TEMPLATE, out / "chat_template.jinja")
    return out
