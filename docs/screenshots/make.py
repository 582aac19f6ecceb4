"""Screenshots of the served database for the README: home, a search, a document, the charts.

    python docs/screenshots/make.py                 # builds a sample database from a few bundled documents
    python docs/screenshots/make.py --db letopis.db # or shoots an existing database

Uses Debian's Chromium (apt-get install chromium chromium-driver) through Playwright; nothing is
downloaded. Writes home.png, search.png, document.png, project.png and charts.png beside this file.
"""
from __future__ import annotations

import argparse
import sqlite3
import tempfile
import urllib.parse
from pathlib import Path

from playwright.sync_api import sync_playwright

from index.web.browser import build_sample_database, launch_chromium, served

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent


def document_with_most_records(db: Path) -> str:
    """The id of a document with many highlights, to show the document page at its best."""
    with sqlite3.connect(db) as conn:
        return conn.execute("select document_id from decisions where votes_against > 0 group by document_id "
                            "order by count(*) desc limit 1").fetchone()[0]


def project_id(db: Path) -> str:
    with sqlite3.connect(db) as conn:
        return conn.execute("select id from projects order by documents desc, id limit 1").fetchone()[0]


def shoot(db: Path, cwd: Path, out: Path) -> list[Path]:
    """Take the screenshots of ``db`` served from ``cwd`` into ``out``; returns the files written."""
    from datasette.utils import tilde_encode

    pages = {
        "home.png": "/",
        "search.png": "/letopis/search?q=" + urllib.parse.quote("решение отпадъци"),
        "document.png": f"/letopis/documents/{tilde_encode(document_with_most_records(db))}",
        "project.png": f"/letopis/projects/{tilde_encode(project_id(db))}",
        "charts.png": "/-/dashboards/letopis",
    }
    written = []
    with served(db, cwd=cwd) as base, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        for name, path in pages.items():
            page.goto(base + path, wait_until="networkidle")
            if name == "charts.png":
                page.wait_for_selector("#card-votes-against svg, #card-votes-against canvas", timeout=20000)
            page.screenshot(path=out / name, full_page=False)
            written.append(out / name)
        browser.close()
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, help="a built database (default: build a sample one)")
    args = parser.parse_args()
    if args.db:
        files = shoot(args.db.resolve(), Path.cwd(), HERE)
    else:
        with tempfile.TemporaryDirectory(prefix="letopis-screens-") as tmp:
            db = build_sample_database(Path(tmp), REPO / "corpus" / "documents")
            files = shoot(db, Path(tmp), HERE)
    for file in files:
        print(file.relative_to(REPO))


if __name__ == "__main__":
    main()
