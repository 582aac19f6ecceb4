"""Serve a database and drive Debian's Chromium through Playwright: for browser tests and screenshots.

Playwright is used with the system browser (``/usr/bin/chromium``, Debian package ``chromium``),
so ``playwright install`` never runs and nothing is downloaded.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from ..serve import DATABASE_NAME, serve_command

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")

SAMPLE_DOCUMENTS = (
    "210_parvomay-protokol-6-2024.txt", "211_parvomay-reshenie-104-sobstven-prinos.txt",
    "212_parvomay-proekt-chitalishte-start.html", "213_parvomay-protokol-14-2024.txt",
    "216_parvomay-chitalishte-zakluchitelna.html", "700_valchedram-sesia-mart-2024.txt",
    "702_krivodol-sesia-april-2024.txt", "713_slivo-pole-reshenie-402-tbo-2025.txt",
    "155_kardzhali-resheniya-yanuari-2026.html",
)
"""A few bundled documents that show every page: a linked project series, protocols with votes
against, a decision about waste, an HTML page of decisions."""

HOSTILE_DOCUMENT = (
    "ОБЩИНСКИ СЪВЕТ – КОЧЕРИНОВО\nПРОТОКОЛ № 3\nДнес, 12.03.2024 г., се проведе заседание.\n"
    "Публикуван текст: <script>document.title='pwned'</script> <b>не е удебелен</b>.\n"
    "РЕШЕНИЕ № 17: Общинският съвет приема протоколите от предходното заседание.\n"
    "Гласували: за – 9, против – 2, въздържали се – 0.\n"
)
"""A document whose text holds HTML: the document page must show it as text."""


def chromium_path() -> str:
    """The system Chromium; raises ``FileNotFoundError`` naming the Debian packages when it is missing."""
    for candidate in (os.environ.get("LETOPIS_CHROMIUM"), *CHROMIUM_CANDIDATES, shutil.which("chromium")):
        if candidate and Path(candidate).is_file():
            return candidate
    raise FileNotFoundError("Chromium is not installed: apt-get install chromium chromium-driver")


def launch_chromium(playwright):
    """A headless Chromium from Debian's package, driven by Playwright (no browser download)."""
    return playwright.chromium.launch(executable_path=chromium_path(), headless=True,
                                      args=["--no-sandbox", "--disable-dev-shm-usage"])


def free_port() -> int:
    """A TCP port on the loopback interface that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build_sample_database(workdir: Path, corpus: Path, names: tuple[str, ...] = SAMPLE_DOCUMENTS,
                          hostile: bool = True) -> Path:
    """Build ``workdir/letopis.db`` from a few bundled documents (plus :data:`HOSTILE_DOCUMENT`).

    The documents are copied to ``workdir/documents`` and built from ``workdir`` with
    ``letopis build``, so the stored paths are relative and a server run from ``workdir``
    serves the archived files. Source URLs come from the corpus manifest.
    """
    folder = workdir / "documents"
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copy2(corpus / name, folder / name)
    if hostile:
        (folder / "999_kocherinovo-protokol-html.txt").write_text(HOSTILE_DOCUMENT, encoding="utf-8")
    command = [sys.executable, "-m", "index.cli", "build", "documents", "--db", f"{DATABASE_NAME}.db",
               "--workers", "0", "--quiet"]
    manifest = corpus.parent / "manifest.csv"
    if manifest.is_file():
        command += ["--manifest", str(manifest.resolve())]
    done = subprocess.run(command, cwd=workdir, capture_output=True, text=True)
    if done.returncode not in (0, 3):  # 3: built, some file failed
        raise RuntimeError(f"letopis build failed:\n{done.stdout}\n{done.stderr}")
    return workdir / f"{DATABASE_NAME}.db"


@contextmanager
def served(db_path: Path, port: int | None = None, timeout: float = 60, cwd: Path | None = None) -> Iterator[str]:
    """Run ``letopis serve``'s Datasette on ``db_path`` in a subprocess, from ``cwd``; yields its base URL.

    Fails (``RuntimeError`` with the server's output) if it does not answer within ``timeout``.
    """
    port = port or free_port()
    with tempfile.TemporaryDirectory(prefix="letopis-served-") as tmp:
        link = Path(tmp) / f"{DATABASE_NAME}.db"
        os.symlink(Path(db_path).resolve(), link)
        log = open(Path(tmp) / "server.log", "w+")
        server = subprocess.Popen(serve_command(link, port=port), stdout=log, stderr=subprocess.STDOUT,
                                  cwd=cwd or Path(db_path).resolve().parent)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    urllib.request.urlopen(base + "/-/versions.json", timeout=2).read()
                    break
                except OSError:
                    if server.poll() is not None or time.monotonic() > deadline:
                        log.seek(0)
                        raise RuntimeError(f"letopis serve did not start:\n{log.read()[-3000:]}")
                    time.sleep(0.2)
            yield base
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
            log.close()
