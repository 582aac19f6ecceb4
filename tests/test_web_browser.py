"""What a person sees, in headless Chromium: search, evidence highlights, a project, a chart, a feed.

Uses Debian's ``chromium`` through Playwright (``/usr/bin/chromium``; never ``playwright install``).
A missing browser fails these tests on purpose: CI installs it (apt-get install chromium chromium-driver).
"""
from __future__ import annotations

import sqlite3
import urllib.parse
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from index.lemmas import lemma
from index.web.browser import build_sample_database, chromium_path, launch_chromium, served

CORPUS = Path(__file__).resolve().parent.parent / "corpus" / "documents"
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A sample database built from a few bundled documents, served by `letopis serve`'s Datasette."""
    chromium_path()  # fails here, with the Debian package names, when Chromium is missing
    workdir = tmp_path_factory.mktemp("browser")
    db = build_sample_database(workdir, CORPUS)
    with served(db, cwd=workdir) as base:
        yield base, db


@pytest.fixture(scope="module")
def browser(site):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


def one(db: Path, sql: str):
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchone()[0]


def test_search_in_bulgarian_finds_an_inflected_form(site, page):
    base, _ = site
    page.goto(base + "/")
    page.fill("input[name=q]", "отпадък")
    page.press("input[name=q]", "Enter")
    page.wait_for_selector(".letopis-results li.result")
    marks = page.locator(".letopis-results .snippet mark").all_inner_texts()
    assert marks and all(lemma(mark) == "отпадък" for mark in marks)
    assert any(mark.casefold() != "отпадък" for mark in marks)  # an inflected form was found
    assert page.locator(".letopis-results .badge.kind-decision").count() >= 1


def test_a_decision_links_to_its_highlight_in_the_document(site, page):
    base, db = site
    decision = one(db, "select id from decisions where votes_against > 0 order by id limit 1")
    page.goto(f"{base}/letopis/decisions/{urllib.parse.quote(decision.replace(':', '~3A'))}")
    page.click("td.col-evidence_text a")
    page.wait_for_url("**/letopis/documents/**")
    assert urllib.parse.unquote(page.url).endswith("#" + decision)
    mark = page.locator(f'mark[id="{decision}"]')
    assert mark.is_visible()
    assert mark.get_attribute("class") == "decision"
    assert "against" in mark.get_attribute("title")
    assert page.evaluate("document.querySelector(':target') && document.querySelector(':target').id") == decision


def test_document_text_is_never_html(site, page):
    base, db = site
    doc_id = one(db, "select id from documents where path like '%999_kocherinovo%'")
    page.goto(f"{base}/letopis/documents/{doc_id}")
    assert page.title() != "pwned"
    assert "<script>document.title='pwned'</script>" in page.locator(".letopis-text").inner_text()
    assert page.locator(".letopis-text b").count() == 0


def test_project_page_lists_its_documents_in_time_order(site, page):
    base, db = site
    project = one(db, "select id from projects order by documents desc, id limit 1")
    page.goto(f"{base}/letopis/projects")
    page.click(f'a[href$="/letopis/projects/{project.replace(".", "~2E")}"]')
    assert project in page.locator("dl.letopis-facts").inner_text()
    dates = [d for d in page.locator("table.letopis-mentions tbody tr td:first-child").all_inner_texts() if d]
    assert len(dates) >= 2 and dates == sorted(dates)


def test_a_chart_loads_without_any_outside_request(site, page):
    base, _ = site
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(base + "/-/dashboards/letopis")
    page.wait_for_selector("#card-votes-against svg, #card-votes-against canvas")
    page.wait_for_selector("#card-money-by-municipality svg, #card-money-by-municipality canvas")
    outside = [url for url in requested if not url.startswith(base) and not url.startswith("data:")]
    assert outside == []


def test_atom_feeds_parse(site, page):
    base, db = site
    municipality = one(db, "select municipality from decisions group by 1 order by count(*) desc limit 1")
    for path in ("/letopis/latest_decisions.atom",
                 "/letopis/latest_decisions.atom?municipality=" + urllib.parse.quote(municipality),
                 "/letopis/search_feed.atom?q=" + urllib.parse.quote("бюджет")):
        response = page.request.get(base + path)
        assert response.ok and response.headers["content-type"].startswith("application/atom+xml")
        feed = ET.fromstring(response.body())
        entries = feed.findall(f"{ATOM}entry")
        assert entries, path
        link = entries[0].find(f"{ATOM}link").get("href")
        assert link.startswith(base + "/letopis/documents/")
    calendar = page.request.get(base + "/letopis/meetings.ics")
    assert calendar.ok and "BEGIN:VEVENT" in calendar.text()
