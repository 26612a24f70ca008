"""The web page's "read a text" view in headless Chromium (Debian's `chromium`, installed by
scripts/setup-deps.sh): the page served by `tokprob serve` renders the text token by token (and
word by word), a screenshot is taken, and the numbers the page shows are read back from its DOM
and compared with `tokprob score`."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conftest import BINARY, cli_json, fixture

TEXT = "Hello, world! The cat sat on the mat."


def _browser() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing (scripts/setup-deps.sh installs it)")
        pytest.skip("chromium is not installed (scripts/setup-deps.sh installs it)")
    return found


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    log = tempfile.NamedTemporaryFile("w+", suffix=".log", delete=False)
    proc = subprocess.Popen([str(BINARY), "serve", "-m", str(fixture("gpt2-tiny")), "--host", "127.0.0.1",
                             "--port", "0", "--threads", "1"], stdout=log, stderr=subprocess.STDOUT)
    try:
        port = None
        for _ in range(300):
            found = re.search(r"http://127\.0\.0\.1:(\d+)/", Path(log.name).read_text())
            if found:
                port = found.group(1)
                break
            assert proc.poll() is None, Path(log.name).read_text()
            time.sleep(0.1)
        assert port, "the server printed no port"
        yield f"http://127.0.0.1:{port}/"
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        os.unlink(log.name)


def _chromium(url: str, *args: str) -> str:
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run([_browser(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                               "--disable-background-networking", "--disable-component-update", "--disable-sync",
                               f"--user-data-dir={profile}", "--virtual-time-budget=8000", "--window-size=1200,800",
                               *args, url], capture_output=True, text=True, timeout=120)
    return done.stdout


class _Spans(HTMLParser):
    """The data- attributes of the spans inside #reading."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.spans: list[dict[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if a.get("id") == "reading":
            self.depth = 1
        elif self.depth and tag == "span" and ("data-word" in a or "data-rank" in a):
            self.spans.append(a)


def _read(url: str, **params: str) -> list[dict[str, str]]:
    dom = _chromium(url + "?" + urllib.parse.urlencode({"view": "read", "text": TEXT, **params}), "--dump-dom")
    parser = _Spans()
    parser.feed(dom)
    return parser.spans


def test_tokens_coloured_by_rank_carry_score_numbers(server: str) -> None:
    spans = _read(server)
    expected = cli_json("score", "-m", str(fixture("gpt2-tiny")), "--score-first-token", "--token-stats", TEXT)[0]
    scored = [t for t in expected["tokens"] if t["logprob"] is not None]
    assert len(spans) == len(scored)
    for span, t in zip(spans, scored):
        # The server runs one thread, the command all cores: float sums in another order.
        assert float(span["data-logprob"]) == pytest.approx(t["logprob"], abs=1e-5)
        assert int(span["data-rank"]) == t["rank"]
        assert float(span["data-entropy"]) == pytest.approx(t["entropy"], abs=1e-5)
        rank = t["rank"]
        bucket = "r1" if rank <= 1 else "r10" if rank <= 10 else "r100" if rank <= 100 else "rmore"
        assert span.get("class") == bucket
        assert "entropy" in span["title"] and "top:" in span["title"]


def test_words_carry_corrected_surprisal(server: str) -> None:
    spans = _read(server, words="1")
    expected = cli_json("score", "-m", str(fixture("gpt2-tiny")), "--score-first-token", "--words", TEXT)[0]
    assert [s["data-word"] for s in spans] == [w["text"] for w in expected["words"]]
    for span, w in zip(spans, expected["words"]):
        assert float(span["data-bits"]) == pytest.approx(w["surprisal_bits"], abs=1e-5)


def test_screenshot(server: str, tmp_path: Path) -> None:
    shot = tmp_path / "read.png"
    _chromium(server + "?" + urllib.parse.urlencode({"view": "read", "text": TEXT, "color": "surprisal"}),
              f"--screenshot={shot}")
    assert shot.exists() and shot.stat().st_size > 10_000
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
