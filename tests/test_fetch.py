"""letopis fetch: a polite, resumable archiver, against a web server on 127.0.0.1."""
from __future__ import annotations

import csv
import http.server
import socket
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from index.fetch import (
    COLUMNS, EXIT_SOME_FAILED, Archive, FetchSettings, HostThrottle, ManifestRow, backoff_delay, choose_extension,
    classify_link, describe_error, extract_links, fetch_all, fetch_command, file_name, normalise_url,
    parse_retry_after, read_urls,
)

PDF = b"%PDF-1.4 a protocol of the municipal council\n%%EOF\n"
FAST = FetchSettings(delay=0.0, timeout=0.3, retries=2, backoff=0.01, max_retry_after=1.0,
                     user_agent="letopis-fetch/test (+tests@example.org)")


# --- a small web server ----------------------------------------------------------------------


class Site:
    """What the test server serves: path → (status, headers, body[, seconds to wait first]),
    or a list of those served in turn (the last one repeats). It answers conditional GETs like
    a real server (ETag / Last-Modified) and remembers every request."""

    def __init__(self) -> None:
        self.routes: dict[str, object] = {}
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.served: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.port = 0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return self.base + path

    def gets(self, path: str) -> int:
        """How many GET requests ``path`` received."""
        return sum(1 for method, p, _ in self.requests if method == "GET" and p == path)

    def requested(self, path: str) -> bool:
        return any(p == path for _, p, _ in self.requests)

    def route(self, path: str):
        with self.lock:
            entry = self.routes.get(path)
            if isinstance(entry, list):
                entry = entry[min(self.served[path], len(entry) - 1)]
            self.served[path] += 1
        return entry


def _handler(site: Site):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:
            pass

        def _answer(self, send_body: bool) -> None:
            with site.lock:
                site.requests.append((self.command, self.path, dict(self.headers)))
            entry = site.route(self.path)
            if entry is None:
                entry = (404, {"Content-Type": "text/html"}, b"<h1>Not found</h1>")
            status, headers, body, *wait = entry
            if wait:
                time.sleep(wait[0])
            etag, modified = headers.get("ETag"), headers.get("Last-Modified")
            if status == 200 and ((etag and self.headers.get("If-None-Match") == etag)
                                  or (modified and self.headers.get("If-Modified-Since") == modified)):
                status, body = 304, b""
            try:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if send_body:
                    self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (the timeout test)

        def do_GET(self) -> None:
            self._answer(True)

        def do_HEAD(self) -> None:
            self._answer(False)

    return Handler


@pytest.fixture
def site():
    """A threaded HTTP server on an ephemeral port of 127.0.0.1, serving a :class:`Site`."""
    served = Site()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(served))
    server.daemon_threads = True
    served.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield served
    server.shutdown()
    server.server_close()


def html(body: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    return 200, {"Content-Type": "text/html; charset=utf-8", **headers}, body.encode("utf-8")


def pdf(body: bytes = PDF, **headers: str) -> tuple[int, dict[str, str], bytes]:
    return 200, {"Content-Type": "application/pdf", **headers}, body


def manifest_rows(directory: Path) -> list[dict[str, str]]:
    with (directory / "manifest.csv").open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def row_for(directory: Path, url: str) -> dict[str, str]:
    rows = [row for row in manifest_rows(directory) if row["source_url"] == url]
    assert rows, f"no manifest row for {url}"
    return rows[-1]


def snapshot(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


# --- behaviour against the server ------------------------------------------------------------


def test_only_links_to_documents_are_followed(site, tmp_path):
    site.routes["/council/"] = html("""
        <base href="/files/">
        <a href="/council/other.html">another page</a>
        <a href="protokol-5.pdf#page=2">protocol</a>
        <a href="/files/protokol-5.pdf">the same protocol again</a>
        <a href="reshenie%20148.docx">decision</a>
        <a href="/about">about us</a>
        <a href="/download?id=7">budget</a>
        <a href="mailto:obshtina@example.bg">mail</a> <img src="logo.png">
        <a href="/logo.png">logo</a>
    """)
    site.routes["/council/other.html"] = html('<a href="/never.pdf">never</a>')
    site.routes["/files/protokol-5.pdf"] = pdf()
    site.routes["/files/reshenie%20148.docx"] = (200, {"Content-Type": "application/octet-stream"}, b"PK docx")
    site.routes["/about"] = html("<p>about</p>")
    site.routes["/download?id=7"] = (200, {"Content-Type": "application/vnd.ms-excel"}, b"xls bytes")

    report = fetch_all([site.url("/council/")], tmp_path, FAST)

    assert report.exit_code == 0
    assert site.gets("/files/protokol-5.pdf") == 1  # linked twice, fetched once
    assert site.gets("/files/reshenie%20148.docx") == 1
    assert site.gets("/download?id=7") == 1  # no extension: a HEAD said it is a spreadsheet
    assert not site.requested("/council/other.html") and not site.requested("/never.pdf")
    assert site.gets("/about") == 0  # only asked with HEAD, and it is a page
    assert not site.requested("/logo.png")
    archived = {row["source_url"]: row for row in manifest_rows(tmp_path)}
    assert set(archived) == {site.url(p) for p in
                             ("/council/", "/files/protokol-5.pdf", "/files/reshenie%20148.docx", "/download?id=7")}
    attachment = archived[site.url("/files/protokol-5.pdf")]
    assert attachment["linked_from"] == site.url("/council/")
    assert attachment["file"].endswith(".pdf") and (tmp_path / attachment["file"]).read_bytes() == PDF
    assert attachment["content_type"] == "application/pdf" and attachment["http_status"] == "200"
    assert archived[site.url("/download?id=7")]["file"].endswith(".xls")
    assert archived[site.url("/council/")]["file"].endswith(".html")
    assert all(r["status"] == "archived" and r["retrieved"].endswith("Z") for r in archived.values())
    assert all(headers["User-Agent"] == FAST.user_agent for _, _, headers in site.requests)


def test_robots_txt_is_obeyed(site, tmp_path):
    site.routes["/robots.txt"] = (200, {"Content-Type": "text/plain"},
                                  b"User-agent: *\nDisallow: /private/\n")
    site.routes["/page.html"] = html('<a href="/private/secret.pdf">x</a> <a href="/public.pdf">y</a>')
    site.routes["/private/secret.pdf"] = pdf()
    site.routes["/public.pdf"] = pdf()

    report = fetch_all([site.url("/page.html"), site.url("/private/listed.html")], tmp_path, FAST)

    assert not site.requested("/private/secret.pdf") and not site.requested("/private/listed.html")
    assert site.gets("/public.pdf") == 1
    assert site.gets("/robots.txt") == 1  # cached per host
    skipped = row_for(tmp_path, site.url("/private/secret.pdf"))
    assert skipped["status"] == "skipped" and "robots.txt" in skipped["error"] and not skipped["file"]
    assert skipped["linked_from"] == site.url("/page.html")
    assert row_for(tmp_path, site.url("/private/listed.html"))["status"] == "skipped"
    assert report.exit_code == 0  # a skip is the site's wish, not a failure


def test_errors_are_recorded_and_not_fatal(site, tmp_path):
    site.routes["/slow.html"] = (*html("<p>late</p>"), 1.0)
    site.routes["/page.html"] = html('<a href="/gone.pdf">gone</a> <a href="/ok.pdf">ok</a>')
    site.routes["/ok.pdf"] = pdf()
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    urls = tmp_path / "urls.txt"
    urls.write_text(f"# council pages\n\n{site.url('/missing.html')}\n{site.url('/slow.html')}\n"
                    f"http://127.0.0.1:{closed_port}/refused.html\n{site.url('/page.html')}  # the good one\n",
                    encoding="utf-8")
    archive = tmp_path / "archive"

    result = CliRunner().invoke(fetch_command, [str(urls), "--into", str(archive), "--delay", "0", "--timeout", "0.3",
                                                "--retries", "1", "--backoff", "0.01", "--quiet"])

    assert result.exit_code == EXIT_SOME_FAILED, result.output
    assert "2 archived, 0 unchanged, 4 failed, 0 skipped" in result.output
    missing = row_for(archive, site.url("/missing.html"))
    assert missing["status"] == "failed" and missing["error"].startswith("HTTP 404") and missing["http_status"] == "404"
    assert site.gets("/missing.html") == 1  # a 404 is not retried
    assert "timed out" in row_for(archive, site.url("/slow.html"))["error"]
    assert "connection refused" in row_for(archive, f"http://127.0.0.1:{closed_port}/refused.html")["error"]
    gone = row_for(archive, site.url("/gone.pdf"))
    assert gone["error"].startswith("HTTP 404") and gone["linked_from"] == site.url("/page.html")
    assert (archive / row_for(archive, site.url("/ok.pdf"))["file"]).read_bytes() == PDF
    assert {p.name for p in archive.iterdir()} == {"manifest.csv", row_for(archive, site.url("/ok.pdf"))["file"],
                                                   row_for(archive, site.url("/page.html"))["file"]}


def test_second_run_fetches_nothing_new(site, tmp_path):
    site.routes["/page.html"] = html('<a href="/a.pdf">a</a> <a href="/b.pdf">b</a> <a href="/c.pdf">c</a>',
                                     ETag='"page-1"')
    site.routes["/a.pdf"] = pdf(ETag='"a-1"')
    site.routes["/b.pdf"] = pdf(b"%PDF b", **{"Last-Modified": "Tue, 04 Mar 2025 10:00:00 GMT"})
    site.routes["/c.pdf"] = (404, {}, b"")
    urls = [site.url("/page.html")]
    fetch_all(urls, tmp_path, FAST)
    before = snapshot(tmp_path)
    site.requests.clear()

    report = fetch_all(urls, tmp_path, FAST)

    assert snapshot(tmp_path) == before  # no new file, no new version, no new manifest row
    assert report.count("unchanged") == 3 and report.count("archived") == 0
    documents = [(path, headers) for method, path, headers in site.requests if path in ("/page.html", "/a.pdf", "/b.pdf")]
    assert len(documents) == 3
    assert all("If-None-Match" in headers or "If-Modified-Since" in headers for _, headers in documents)
    assert report.exit_code == EXIT_SOME_FAILED  # c.pdf still fails, but is not written down twice


def test_unchanged_body_without_validators_writes_nothing(site, tmp_path):
    site.routes["/plain.pdf"] = pdf()
    fetch_all([site.url("/plain.pdf")], tmp_path, FAST)
    before = snapshot(tmp_path)

    report = fetch_all([site.url("/plain.pdf")], tmp_path, FAST)

    assert report.count("unchanged") == 1 and snapshot(tmp_path) == before
    assert not list(tmp_path.glob(".letopis-part-*"))


def test_changed_page_is_a_new_version(site, tmp_path):
    site.routes["/agenda.html"] = html("<p>first agenda</p>", ETag='"v1"')
    fetch_all([site.url("/agenda.html")], tmp_path, FAST)
    first = row_for(tmp_path, site.url("/agenda.html"))
    first_bytes = (tmp_path / first["file"]).read_bytes()

    site.routes["/agenda.html"] = html("<p>second agenda</p>", ETag='"v2"')
    report = fetch_all([site.url("/agenda.html")], tmp_path, FAST)

    second = row_for(tmp_path, site.url("/agenda.html"))
    assert report.count("archived") == 1
    assert second["file"] != first["file"] and ".v2." in second["file"]
    assert (tmp_path / first["file"]).read_bytes() == first_bytes
    assert (tmp_path / second["file"]).read_text(encoding="utf-8") == "<p>second agenda</p>"
    assert second["sha256"] != first["sha256"] and second["etag"] == '"v2"'
    assert [r["file"] for r in manifest_rows(tmp_path)] == [first["file"], second["file"]]


def test_503_then_200_is_retried_and_archived(site, tmp_path):
    site.routes["/busy.pdf"] = [(503, {"Retry-After": "0"}, b"busy"), pdf()]
    report = fetch_all([site.url("/busy.pdf")], tmp_path, FAST)
    assert report.exit_code == 0 and site.gets("/busy.pdf") == 2
    assert (tmp_path / row_for(tmp_path, site.url("/busy.pdf"))["file"]).read_bytes() == PDF


def test_retries_give_up_and_long_retry_after_is_not_awaited(site, tmp_path):
    site.routes["/down.pdf"] = (503, {}, b"")
    site.routes["/later.pdf"] = (429, {"Retry-After": "3600"}, b"")
    started = time.monotonic()
    fetch_all([site.url("/down.pdf"), site.url("/later.pdf")], tmp_path, FAST)
    assert time.monotonic() - started < 2
    assert site.gets("/down.pdf") == 3 and "after 3 attempts" in row_for(tmp_path, site.url("/down.pdf"))["error"]
    assert site.gets("/later.pdf") == 1 and "Retry-After 3600" in row_for(tmp_path, site.url("/later.pdf"))["error"]


def test_size_cap_and_html_instead_of_a_document(site, tmp_path):
    site.routes["/big.pdf"] = pdf(b"x" * 5000)
    site.routes["/page.html"] = html('<a href="/login.pdf">members only</a>')
    site.routes["/login.pdf"] = html("<form>log in</form>")
    settings = FetchSettings(**{**FAST.__dict__, "max_bytes": 1000})
    report = fetch_all([site.url("/big.pdf"), site.url("/page.html")], tmp_path, settings)
    assert "limit" in row_for(tmp_path, site.url("/big.pdf"))["error"]
    assert "expected a document" in row_for(tmp_path, site.url("/login.pdf"))["error"]
    assert report.count("failed") == 2 and not list(tmp_path.glob("*.pdf"))


def test_redirects_are_followed_and_recorded_under_the_asked_url(site, tmp_path):
    site.routes["/old.pdf"] = (301, {"Location": "/new.pdf"}, b"")
    site.routes["/new.pdf"] = pdf()
    fetch_all([site.url("/old.pdf")], tmp_path, FAST)
    assert (tmp_path / row_for(tmp_path, site.url("/old.pdf"))["file"]).read_bytes() == PDF


def test_build_reads_the_fetch_manifest(site, tmp_path):
    from index.load import read_manifest  # what index.build.source_urls reads manifests with

    site.routes["/p.pdf"] = pdf()
    site.routes["/gone.pdf"] = (404, {}, b"")
    fetch_all([site.url("/p.pdf"), site.url("/gone.pdf")], tmp_path, FAST)
    name = row_for(tmp_path, site.url("/p.pdf"))["file"]
    rows = read_manifest(tmp_path / "manifest.csv")
    assert list(rows) == [name]  # a failure names no file, so the build never sees it
    assert rows[name]["source_url"] == site.url("/p.pdf") and rows[name]["origin"] == "fetch"


def test_an_old_manifest_gains_the_new_columns(tmp_path):
    (tmp_path / "manifest.csv").write_text(
        "file,source_url,municipality,retrieved,sha256,origin\n"
        "documents/a.pdf,https://example.bg/a.pdf,Пещера,2025-01-01,abc,seed\n", encoding="utf-8")
    archive = Archive(tmp_path)
    assert archive.last_row("https://example.bg/a.pdf").municipality == "Пещера"
    header, row = manifest_rows(tmp_path)[0].keys(), manifest_rows(tmp_path)[0]
    assert tuple(header) == COLUMNS and row["origin"] == "seed" and row["status"] == ""


# --- pure parts ------------------------------------------------------------------------------


def test_manifest_columns_extend_the_corpus_manifest():
    from index.manifest import COLUMNS as CORPUS_COLUMNS

    assert COLUMNS[:len(CORPUS_COLUMNS)] == CORPUS_COLUMNS
    row = ManifestRow(file="a.pdf", source_url="https://x.bg/a.pdf", http_status=200, size=3)
    assert ManifestRow.from_csv(row.to_csv()) == row


def test_read_urls_skips_comments_blanks_and_repeats():
    lines = ["# list\n", "\n", "https://pestera.bg/news \n", "  https://pestera.bg/news  # again\n",
             "https://pestera.bg/Наредба за реда.html\n"]
    assert read_urls(lines) == ["https://pestera.bg/news",
                                "https://pestera.bg/%D0%9D%D0%B0%D1%80%D0%B5%D0%B4%D0%B1%D0%B0"]


def test_links_resolve_against_base_href_and_drop_fragments():
    page = ('<base href="https://b.bg/docs/"><a href="x.pdf#p2">x</a><a href="/y.pdf">y</a>'
            '<a href="javascript:void(0)">js</a><a href="#top">top</a><iframe src="viewer/z.pdf"></iframe>'
            '<a href="Решение 5.pdf">cyrillic</a>')
    assert extract_links(page, "https://a.bg/page.html") == [
        "https://b.bg/docs/x.pdf", "https://b.bg/y.pdf", "https://b.bg/docs/viewer/z.pdf",
        normalise_url("https://b.bg/docs/Решение 5.pdf")]
    assert extract_links('<a href="a.pdf">a</a>', "https://a.bg/dir/page.html") == ["https://a.bg/dir/a.pdf"]


def test_normalise_url_is_idempotent():
    url = normalise_url("HTTPS://Пещера.bg/файл 1.pdf?q=а б#frag")
    assert url.startswith("https://xn--") and " " not in url and "#" not in url
    assert normalise_url(url) == url


@pytest.mark.parametrize(("url", "kind"), [
    ("https://a.bg/p.PDF", "document"), ("https://a.bg/x.docx", "document"), ("https://a.bg/t.ods", "document"),
    ("https://a.bg/get.php?file=budget.xlsx", "document"), ("https://a.bg/download?id=3", "probe"),
    ("https://a.bg/view.aspx?id=3", "probe"), ("https://a.bg/news.html", "ignore"), ("https://a.bg/logo.png", "ignore"),
    ("https://a.bg/news/", "ignore"),
])
def test_classify_link(url, kind):
    assert classify_link(url) == kind


def test_file_names_are_readable_stable_and_distinct():
    name = file_name("https://www.kocherinovo.bg/Протокол%20№5.pdf", ".pdf")
    assert name.startswith("kocherinovo-bg-protokol-no5-") and name.endswith(".pdf")
    assert name == file_name("https://www.kocherinovo.bg/Протокол%20№5.pdf", ".pdf")
    assert file_name("https://a.bg/x.pdf?v=1", ".pdf") != file_name("https://a.bg/x.pdf?v=2", ".pdf")
    assert file_name("https://a.bg/x.pdf", ".pdf", 3).endswith(".v3.pdf")


def test_choose_extension():
    assert choose_extension("https://a.bg/x.pdf", "application/octet-stream") == ".pdf"
    assert choose_extension("https://a.bg/page.php", "text/html; charset=windows-1251") == ".html"
    assert choose_extension("https://a.bg/get?id=1", "application/octet-stream", 'attachment; filename="r.docx"') == ".docx"
    assert choose_extension("https://a.bg/get?id=1", "application/x-unknown") == ".bin"


def test_backoff_and_retry_after():
    assert [backoff_delay(n, 0.5) for n in (1, 2, 3)] == [0.5, 1.0, 2.0]
    assert parse_retry_after("7") == 7.0 and parse_retry_after(None) is None and parse_retry_after("soon") is None
    import datetime as dt
    now = dt.datetime(2025, 3, 4, 10, 0, 0, tzinfo=dt.timezone.utc)
    assert parse_retry_after("Tue, 04 Mar 2025 10:00:30 GMT", now) == 30.0


def test_throttle_keeps_the_delay_per_host():
    clock, slept = [0.0], []

    def sleep(seconds):
        slept.append(seconds)
        clock[0] += seconds

    throttle = HostThrottle(1.0, clock=lambda: clock[0], sleep=sleep)
    throttle.wait("a.bg")
    throttle.wait("b.bg")  # another host does not wait
    clock[0] += 0.25
    throttle.wait("a.bg")
    throttle.set_delay("b.bg", 5.0)  # its robots.txt Crawl-delay
    throttle.wait("b.bg")
    assert slept == [0.75, 4.0]  # b.bg was last asked at 0, a.bg's wait moved the clock to 1


def test_network_errors_become_reasons():
    assert describe_error(socket.gaierror(socket.EAI_NONAME, "Name or service not known"), 5).reason.startswith(
        "DNS lookup failed")
    assert not describe_error(socket.gaierror(socket.EAI_NONAME, "x"), 5).retryable
    assert describe_error(TimeoutError("timed out"), 5).reason == "timed out after 5 s"
    assert describe_error(ConnectionRefusedError(), 5).retryable


def test_a_listed_page_linked_from_another_is_still_archived(site, tmp_path):
    site.routes["/index.php"] = html('<a href="/news">news</a>')
    site.routes["/news"] = html('<a href="/n.pdf">n</a>')
    site.routes["/n.pdf"] = pdf()
    report = fetch_all([site.url("/index.php"), site.url("/news"), "ftp://example.bg/x.pdf"], tmp_path, FAST)
    assert site.gets("/news") == 1 and site.gets("/n.pdf") == 1  # /news: HEAD from the link, GET from the list
    assert row_for(tmp_path, site.url("/n.pdf"))["linked_from"] == site.url("/news")
    assert "not an http(s) URL" in row_for(tmp_path, "ftp://example.bg/x.pdf")["error"]
    assert report.summary() == "3 archived, 0 unchanged, 1 failed, 0 skipped"
