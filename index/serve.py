"""Serve the database with Datasette, under the name ``letopis``, with the repository's metadata.

The web side (Bulgarian search functions, document and entity pages, links from records to
their evidence) is a Datasette plugin, the ``index.web`` package: :func:`serve_command` loads it
with ``--plugins-dir``, and :func:`install_plugin` registers it in this process (for a
``Datasette`` object made in Python, as the tests do).
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from .web import DATABASE_NAME  # noqa: F401  (the name everything else imports from here)

SETTINGS: dict[str, str] = {
    "sql_time_limit_ms": "3000",
    "max_returned_rows": "1000",
    "suggest_facets": "off",
    "truncate_cells_html": "300",
    # Downloads stay on (the default): the documents are public records and the whole
    # database is small, so journalists can take a copy and query it offline. Datasette
    # only offers the download for databases served immutable, which serve() does.
    "allow_download": "on",
}


def install_plugin() -> None:
    """Register the letopis plugin with Datasette's plugin manager in this process (once)."""
    from datasette.plugins import pm

    from . import web

    if not pm.is_registered(web):
        pm.register(web, name="letopis")


def plugins_dir() -> Path:
    """The directory ``datasette serve --plugins-dir`` loads the letopis plugin from."""
    return Path(__file__).resolve().parent / "web" / "plugins"


def repo_root() -> Path:
    """The repository root: the parent of the ``index/`` package."""
    return Path(__file__).resolve().parent.parent


def metadata_path() -> Path:
    """The repository's ``metadata.yml``."""
    return repo_root() / "metadata.yml"


def serve_command(
    db_path: Path,
    host: str = "127.0.0.1",
    port: int = 8001,
    metadata: Path | None = None,
    *,
    immutable: bool = True,
) -> list[str]:
    """The ``datasette serve`` command line for ``db_path`` (which must be named ``letopis.db``)."""
    command = [sys.executable, "-m", "datasette", "serve"]
    command += ["-i", str(db_path)] if immutable else [str(db_path)]
    command += ["--host", host, "--port", str(port), "--metadata", str(metadata or metadata_path())]
    command += ["--plugins-dir", str(plugins_dir())]
    for name, value in SETTINGS.items():
        command += ["--setting", name, value]
    return command


def serve(
    db_path: Path,
    host: str = "127.0.0.1",
    port: int = 8001,
    metadata: Path | None = None,
    *,
    immutable: bool = True,
) -> None:
    """Run Datasette on ``db_path`` until interrupted; the database is always named ``letopis``.

    Datasette names a database after its file, so a file not called ``letopis.db`` is served
    through a ``letopis.db`` symlink in a temporary directory. ``immutable`` (the default)
    makes Datasette open the file read-only, cache counts and offer the download; restart
    the server after rebuilding the database.
    """
    db_path = Path(db_path)
    if not db_path.is_file():
        raise FileNotFoundError(f"No database at {db_path}; run `letopis build` first.")
    with tempfile.TemporaryDirectory(prefix="letopis-serve-") as tmp:
        if db_path.name != f"{DATABASE_NAME}.db":
            link = Path(tmp) / f"{DATABASE_NAME}.db"
            os.symlink(db_path.resolve(), link)
            db_path = link
        command = serve_command(db_path, host, port, metadata, immutable=immutable)
        try:
            subprocess.run(command, check=True)
        except KeyboardInterrupt:
            pass


# The canned searches in metadata.yml call the plugin's SQL functions (letopis_match ...), so any
# Datasette made in a process that imports this module must have it; `datasette serve` in a
# subprocess gets it through --plugins-dir instead.
install_plugin()
