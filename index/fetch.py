"""Archive web pages and the documents they link to: ``letopis fetch URLS_FILE --into DIR``.

For each URL of the list the page is fetched and stored in DIR; when it is HTML, the links it
holds to documents (PDF, Word, RTF, OpenDocument, Excel) are fetched and stored too, one level
deep: no other HTML page is ever crawled. A link is a document by its extension (``.pdf``,
``get.php?file=a.docx``); a link without one (``/download?id=7``, ``view.aspx``) is asked about
with a HEAD request and fetched only if the Content-Type (or Content-Disposition file name)
says document. Every stored file gets a row in ``DIR/manifest.csv``
(the columns ``letopis build`` reads, then the fetch's own), and so does every failure and
every URL robots.txt forbids.

The fetcher is polite (robots.txt and its Crawl-delay, a minimum delay between two requests to
the same host, a User-Agent with a contact, retries with exponential back-off that honour a
short Retry-After, a timeout per request, a size cap) and never fatal: an error is a manifest
row and the run goes on.

Runs are resumable and never overwrite anything. A URL archived before is asked for again with
If-None-Match / If-Modified-Since; a 304, or a body whose sha256 equals the last stored
version's, writes nothing and adds no manifest row. A changed body is a new file
``<slug>-<hash>.v2.<ext>`` (v3, ...) next to the untouched old one. A failure or a skip
identical to the URL's last manifest row is not written again, so re-running over an
unchanged site leaves the directory and the manifest as they were.

The layers are kept apart: pure functions decide (URLs, links, names, headers), ``Client``
talks HTTP, ``Archive`` writes files and manifest rows, ``fetch_all`` runs the three.
"""
from __future__ import annotations

import csv
import datetime as dt
import email.utils
import hashlib
import http.client
import io
import os
import posixpath
import re
import socket
import ssl
import tempfile
import time
import unicodedata
import urllib.error
import urllib.parse
import urllib.request
import urllib.robotparser
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from email.message import Message
from html.parser import HTMLParser
from pathlib import Path

import click

EXIT_SOME_FAILED = 3
"""Same convention as ``letopis build``: the run finished, and some URL failed."""

AGENT = "letopis-fetch"
MANIFEST_NAME = "manifest.csv"

# The first six are the corpus manifest's (index.manifest.COLUMNS), in its order, so that
# index.load.read_manifest and `letopis build` read a fetch manifest like any other.
COLUMNS = ("file", "source_url", "municipality", "retrieved", "sha256", "origin",
           "linked_from", "content_type", "http_status", "size", "etag", "last_modified", "status", "error")

ARCHIVED, FAILED, SKIPPED = "archived", "failed", "skipped"

DOCUMENT_EXTENSIONS = frozenset({".pdf", ".doc", ".docx", ".rtf", ".odt", ".xls", ".xlsx", ".ods"})
# Links to these may be a document or a page: only a HEAD request's Content-Type tells.
PROBED_EXTENSIONS = frozenset({"", ".php", ".asp", ".aspx", ".jsp", ".cgi", ".ashx", ".axd", ".do", ".pl", ".py"})
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
DOCUMENT_TYPES = frozenset({"application/pdf", "application/x-pdf", "application/msword", "application/rtf",
                            "text/rtf", "application/vnd.ms-excel", "application/vnd.ms-word"})
DOCUMENT_TYPE_PREFIXES = ("application/vnd.openxmlformats-officedocument.", "application/vnd.oasis.opendocument.",
                          "application/vnd.ms-excel.", "application/vnd.ms-word.")
EXTENSION_OF_TYPE = {
    "text/html": ".html", "application/xhtml+xml": ".html", "text/plain": ".txt",
    "application/pdf": ".pdf", "application/x-pdf": ".pdf", "application/msword": ".doc",
    "application/rtf": ".rtf", "text/rtf": ".rtf", "application/vnd.ms-excel": ".xls",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/vnd.oasis.opendocument.text": ".odt",
    "application/vnd.oasis.opendocument.spreadsheet": ".ods",
}
KEPT_URL_EXTENSIONS = DOCUMENT_EXTENSIONS | {".html", ".htm", ".txt"}

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_REDIRECTS = 5
ROBOTS_MAX_BYTES = 512 * 1024  # RFC 9309 asks crawlers to parse at least 500 KiB
MAX_CRAWL_DELAY = 60.0
CHUNK = 1 << 16

# Importing extract.translit would load the whole extraction pipeline (seconds) for 30 letters.
_LATIN = dict(zip("абвгдежзийклмнопрстуфхцчшщъьюяѝ",
                  ["a", "b", "v", "g", "d", "e", "zh", "z", "i", "y", "k", "l", "m", "n", "o", "p", "r", "s",
                   "t", "u", "f", "h", "ts", "ch", "sh", "sht", "a", "y", "yu", "ya", "i"]))


# --- settings and manifest rows --------------------------------------------------------------


def package_version() -> str:
    """The installed letopis version ("0" when it is not installed)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("letopis")
    except PackageNotFoundError:
        return "0"


def user_agent(contact: str | None = None) -> str:
    """``letopis-fetch/<version> (+<contact>)``: who is asking, and how to reach them."""
    return f"{AGENT}/{package_version()} (+{contact or 'no contact configured'})"


@dataclass(frozen=True)
class FetchSettings:
    """How politely and how patiently to fetch (the defaults suit a real site)."""

    delay: float = 1.0
    """Minimum seconds between two requests to the same host (robots.txt Crawl-delay may raise it)."""
    timeout: float = 30.0
    """Seconds one connection or read may wait."""
    retries: int = 3
    """Further attempts after a connection error, a timeout, a 429 or a 5xx."""
    backoff: float = 1.0
    """Wait before the first retry; it doubles on each further one."""
    max_retry_after: float = 60.0
    """A longer Retry-After gives up instead of waiting."""
    max_bytes: int = 100 * 1024 * 1024
    """A bigger download is abandoned and recorded as failed."""
    user_agent: str = field(default_factory=user_agent)


@dataclass
class ManifestRow:
    """One row of ``manifest.csv``: a stored file, or a URL that failed or was skipped."""

    file: str = ""
    source_url: str = ""
    municipality: str = ""
    retrieved: str = ""
    sha256: str = ""
    origin: str = "fetch"
    linked_from: str = ""
    content_type: str = ""
    http_status: int | None = None
    size: int | None = None
    etag: str = ""
    last_modified: str = ""
    status: str = ARCHIVED
    error: str = ""

    def to_csv(self) -> dict[str, str]:
        """The row as CSV cells (missing numbers are empty cells)."""
        return {f.name: "" if getattr(self, f.name) is None else str(getattr(self, f.name)) for f in fields(self)}

    @classmethod
    def from_csv(cls, cells: Mapping[str, str | None]) -> ManifestRow:
        """A row read back from CSV; unknown columns are ignored, missing ones take defaults.

        A row without ``status`` (written by ``letopis manifest`` or by hand) is an archived
        file when it names one.
        """
        known = {f.name for f in fields(cls)}
        values: dict = {k: (v or "").strip() for k, v in cells.items() if k in known}
        for name in ("http_status", "size"):
            raw = values.get(name, "")
            values[name] = int(raw) if raw.isdigit() else None
        if not values.get("status"):
            values["status"] = ARCHIVED if values.get("file") else FAILED
        values.setdefault("origin", "")
        return cls(**values)


def utc_now() -> str:
    """The current UTC time, ISO 8601 to the second (``2025-03-01T10:20:30Z``)."""
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


# --- deciding: URLs, links, names ------------------------------------------------------------


def normalise_url(url: str) -> str:
    """``url`` without its fragment, percent-encoded where HTTP needs it (spaces, Cyrillic, IDN hosts).

    Already-encoded characters are left alone, so normalising twice changes nothing.
    """
    parts = urllib.parse.urlsplit(url.strip())
    host = parts.hostname or ""
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        pass
    netloc = host + (f":{parts.port}" if parts.port else "")
    if parts.username:
        netloc = f"{parts.username}{':' + parts.password if parts.password else ''}@{netloc}"
    path = urllib.parse.quote(parts.path or "/", safe="/%:@!$&'()*+,;=-._~")
    query = urllib.parse.quote(parts.query, safe="/%:@!$&'()*+,;=-._~?")
    return urllib.parse.urlunsplit((parts.scheme.lower(), netloc, path, query, ""))


def read_urls(lines: Iterable[str]) -> list[str]:
    """The URLs of a URL list: the first word of each line; blank lines and lines starting with
    ``#`` are skipped (so is anything after the URL), duplicates dropped."""
    urls: list[str] = []
    for line in lines:
        words = line.split()
        if words and not words[0].startswith("#") and (url := normalise_url(words[0])) not in urls:
            urls.append(url)
    return urls


class _LinkParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.base: str | None = None
        self.targets: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value for name, value in attrs if value}
        if tag == "base" and self.base is None and "href" in values:
            self.base = values["href"]
        elif tag in ("a", "area") and "href" in values:
            self.targets.append(values["href"])
        elif tag in ("iframe", "embed") and "src" in values:
            self.targets.append(values["src"])  # embedded PDF viewers
        elif tag == "object" and "data" in values:
            self.targets.append(values["data"])


def extract_links(html: str, page_url: str) -> list[str]:
    """The http(s) URLs an HTML page links to, resolved against its ``<base href>`` or its own URL.

    Fragments are dropped and each URL appears once, in page order.
    """
    parser = _LinkParser()
    parser.feed(html)
    parser.close()
    base = urllib.parse.urljoin(page_url, parser.base.strip()) if parser.base else page_url
    links: list[str] = []
    for target in parser.targets:
        target = target.strip()
        if not target or target.startswith("#"):
            continue
        url = normalise_url(urllib.parse.urljoin(base, target))
        if urllib.parse.urlsplit(url).scheme in ("http", "https") and url not in links:
            links.append(url)
    return links


def url_extension(url: str) -> str:
    """The lower-case extension of a URL's path (``.pdf``), or ``""``."""
    path = urllib.parse.unquote(urllib.parse.urlsplit(url).path)
    return posixpath.splitext(posixpath.basename(path))[1].lower()


def media_type(content_type: str | None) -> str:
    """``text/html; charset=utf-8`` → ``text/html``."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def is_document_type(content_type: str | None) -> bool:
    """Whether a Content-Type is one of the document formats archived (PDF, Word, RTF, ODF, Excel)."""
    media = media_type(content_type)
    return media in DOCUMENT_TYPES or media.startswith(DOCUMENT_TYPE_PREFIXES)


def is_html_type(content_type: str | None) -> bool:
    """Whether a Content-Type is an HTML page."""
    return media_type(content_type) in HTML_TYPES


def disposition_filename(disposition: str | None) -> str:
    """The file name a Content-Disposition header suggests, or ``""``."""
    if not disposition:
        return ""
    message = Message()
    message["content-disposition"] = disposition
    return message.get_filename() or ""


def is_document_response(headers: Mapping[str, str]) -> bool:
    """Whether response headers announce a document: by Content-Type, or by a generic type and a
    Content-Disposition file name with a document extension."""
    if is_document_type(headers.get("Content-Type")):
        return True
    name = disposition_filename(headers.get("Content-Disposition"))
    return posixpath.splitext(name)[1].lower() in DOCUMENT_EXTENSIONS


def classify_link(url: str) -> str:
    """What to do with a link found on a page: ``"document"`` (fetch it), ``"probe"`` (ask with HEAD
    whether it is a document) or ``"ignore"`` (a page, an image, a stylesheet...)."""
    extension = url_extension(url)
    if extension in DOCUMENT_EXTENSIONS:
        return "document"
    query = urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query)
    if any(posixpath.splitext(value)[1].lower() in DOCUMENT_EXTENSIONS for _, value in query):
        return "document"  # download.php?file=protokol.pdf
    return "probe" if extension in PROBED_EXTENSIONS and not url.endswith("/") else "ignore"


def slugify(text: str, limit: int = 60) -> str:
    """A readable ASCII slug: Bulgarian transliterated, everything else but letters and digits a dash."""
    latin = "".join(_LATIN.get(ch, ch) for ch in text.lower())
    ascii_text = unicodedata.normalize("NFKD", latin).encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")[:limit].rstrip("-")


def choose_extension(url: str, content_type: str | None = None, disposition: str | None = None) -> str:
    """The extension to store a URL's body under: the URL's when it is a known one, else the
    Content-Disposition file name's, else the Content-Type's, else ``.bin``."""
    from_url = url_extension(url)
    if from_url in KEPT_URL_EXTENSIONS:
        return ".html" if from_url == ".htm" else from_url
    from_name = posixpath.splitext(disposition_filename(disposition))[1].lower()
    if from_name in KEPT_URL_EXTENSIONS:
        return from_name
    return EXTENSION_OF_TYPE.get(media_type(content_type), ".bin")


def file_name(url: str, extension: str, version: int = 1) -> str:
    """The file a URL's body is stored as: ``<slug>-<hash>[.v<version>]<extension>``.

    The slug (host, path and query, transliterated) is for people; the first 10 hex digits of
    the URL's sha256 keep two URLs with the same slug apart.
    """
    parts = urllib.parse.urlsplit(url)
    host = (parts.hostname or "").removeprefix("www.")
    path = urllib.parse.unquote(parts.path)
    stem, ext = posixpath.splitext(path)
    text = f"{host} {stem if ext.lower() == url_extension(url) else path} {urllib.parse.unquote_plus(parts.query)}"
    slug = slugify(text) or "page"
    digest = hashlib.sha256(url.encode("utf-8")).hexdigest()[:10]
    return f"{slug}-{digest}{'' if version == 1 else f'.v{version}'}{extension}"


def conditional_headers(previous: ManifestRow | None) -> dict[str, str]:
    """If-None-Match / If-Modified-Since from the last stored version's ETag / Last-Modified."""
    headers: dict[str, str] = {}
    if previous is not None and previous.etag:
        headers["If-None-Match"] = previous.etag
    if previous is not None and previous.last_modified:
        headers["If-Modified-Since"] = previous.last_modified
    return headers


def decode_html(body: bytes, content_type: str | None = None) -> str:
    """Page text: the charset the header or a ``<meta>`` declares, else UTF-8, else windows-1251
    (what older Bulgarian sites use without saying so)."""
    declared = re.search(r"charset=[\"']?([\w-]+)", content_type or "", re.I)
    in_page = re.search(rb"<meta[^>]+charset=[\"']?([\w-]+)", body[:4096], re.I)
    charsets = [declared.group(1) if declared else None, in_page.group(1).decode("ascii") if in_page else None]
    for charset in [c for c in charsets if c] + ["utf-8"]:
        try:
            return body.decode(charset)
        except (LookupError, UnicodeDecodeError):
            continue
    return body.decode("cp1251", errors="replace")


def backoff_delay(attempt: int, base: float) -> float:
    """Seconds to wait before retry ``attempt`` (1, 2, ...): ``base``, then doubling."""
    return base * 2 ** (attempt - 1)


def parse_retry_after(value: str | None, now: dt.datetime | None = None) -> float | None:
    """Seconds a Retry-After header asks to wait (delta-seconds or an HTTP date), or ``None``."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return max(0.0, (when - (now or dt.datetime.now(dt.timezone.utc))).total_seconds())


# --- fetching --------------------------------------------------------------------------------


class FetchError(Exception):
    """A URL could not be fetched; ``reason`` is a sentence for the manifest."""

    def __init__(self, reason: str, status: int | None = None, retry_after: float | None = None,
                 retryable: bool = False) -> None:
        super().__init__(reason)
        self.reason, self.status, self.retry_after, self.retryable = reason, status, retry_after, retryable


class Disallowed(Exception):
    """robots.txt forbids this URL to us."""


@dataclass
class Response:
    """A final (non-redirect) HTTP response; a GET's body is in ``path`` (a temporary file) or ``body``."""

    url: str
    status: int
    headers: Message
    path: Path | None = None
    body: bytes | None = None
    sha256: str = ""
    size: int = 0

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "")

    def discard(self) -> None:
        """Delete the temporary body file, if any."""
        if self.path is not None:
            self.path.unlink(missing_ok=True)
            self.path = None


def describe_error(error: BaseException, timeout: float) -> FetchError:
    """A network exception as a manifest reason, and whether trying again may help."""
    if isinstance(error, urllib.error.URLError) and isinstance(error.reason, BaseException):
        error = error.reason
    if isinstance(error, (TimeoutError, socket.timeout)):
        return FetchError(f"timed out after {timeout:g} s", retryable=True)
    if isinstance(error, socket.gaierror):
        # A name that does not resolve will not resolve a second later; EAI_AGAIN is the transient kind.
        return FetchError(f"DNS lookup failed ({error.strerror or error})", retryable=error.errno == socket.EAI_AGAIN)
    if isinstance(error, ConnectionRefusedError):
        return FetchError("connection refused", retryable=True)
    if isinstance(error, ssl.SSLError):
        return FetchError(f"TLS error ({error})")
    if isinstance(error, (ConnectionError, http.client.HTTPException)):
        return FetchError(f"connection error ({type(error).__name__}: {error})", retryable=True)
    if isinstance(error, urllib.error.URLError):
        return FetchError(f"cannot fetch ({error.reason})")
    if isinstance(error, (OSError, ValueError)):
        return FetchError(f"cannot fetch ({type(error).__name__}: {error})")
    raise error


class HostThrottle:
    """Keeps at least ``delay`` seconds between two requests to the same host."""

    def __init__(self, delay: float, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.delay, self.clock, self.sleep = delay, clock, sleep
        self.last: dict[str, float] = {}
        self.delays: dict[str, float] = {}

    def set_delay(self, host: str, delay: float) -> None:
        """A longer delay for one host (its robots.txt Crawl-delay)."""
        self.delays[host] = max(self.delay, delay)

    def wait(self, host: str) -> None:
        """Sleep until ``host`` may be asked again, and note that it is being asked now."""
        if host in self.last:
            remaining = self.last[host] + self.delays.get(host, self.delay) - self.clock()
            if remaining > 0:
                self.sleep(remaining)
        self.last[host] = self.clock()

    def finished(self, host: str) -> None:
        """Note that a request to ``host`` ended now: a long download pushes the next request back."""
        self.last[host] = self.clock()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # Redirects are followed by Client.request, so each hop goes through robots.txt and the throttle.
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: D102
        return None


class Client:
    """Polite HTTP: robots.txt per host (cached), a per-host delay, retries with back-off,
    redirects followed hop by hop, a timeout and a size cap."""

    def __init__(self, settings: FetchSettings | None = None, *, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.settings = settings or FetchSettings()
        self.sleep = sleep
        self.throttle = HostThrottle(self.settings.delay, clock, sleep)
        self.robots: dict[str, urllib.robotparser.RobotFileParser | FetchError] = {}
        self.opener = urllib.request.build_opener(_NoRedirect)

    # robots.txt

    def check_robots(self, url: str) -> None:
        """Raise :class:`Disallowed` if robots.txt forbids ``url``, :class:`FetchError` if it is unreachable.

        As RFC 9309 asks, a robots.txt that cannot be fetched (server error, network failure)
        forbids the whole host; one that does not exist (4xx but 401/403) allows everything.
        """
        parts = urllib.parse.urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self.robots:
            self.robots[origin] = self._load_robots(origin, parts.netloc)
        rules = self.robots[origin]
        if isinstance(rules, FetchError):
            raise FetchError(f"robots.txt unreachable: {rules.reason}")
        if not rules.can_fetch(AGENT, url):
            raise Disallowed(f"disallowed by {origin}/robots.txt")

    def _load_robots(self, origin: str, host: str) -> urllib.robotparser.RobotFileParser | FetchError:
        rules = urllib.robotparser.RobotFileParser(f"{origin}/robots.txt")
        try:
            response = self.request(f"{origin}/robots.txt", check_robots=False, max_bytes=ROBOTS_MAX_BYTES)
        except FetchError as error:
            if error.status in (401, 403):
                rules.disallow_all = True
            elif error.status is not None and 400 <= error.status < 500:
                rules.allow_all = True
            else:
                return error
            return rules
        rules.parse(decode_html(response.body or b"", response.content_type).splitlines())
        crawl_delay = rules.crawl_delay(AGENT)
        if crawl_delay:
            self.throttle.set_delay(host, min(float(crawl_delay), MAX_CRAWL_DELAY))
        return rules

    # requests

    def request(self, url: str, headers: Mapping[str, str] | None = None, *, method: str = "GET",
                spool_dir: Path | None = None, accept: Callable[[Message], str | None] | None = None,
                check_robots: bool = True, max_bytes: int | None = None) -> Response:
        """Fetch ``url`` and return its final response (2xx or 304).

        The body goes to a temporary file in ``spool_dir`` (kept in memory without one).
        ``accept`` may look at the headers and return a reason to refuse the body before it is
        downloaded. Raises :class:`Disallowed` or :class:`FetchError`.
        """
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            if urllib.parse.urlsplit(current).scheme not in ("http", "https"):
                raise FetchError(f"not an http(s) URL: {current}")
            if check_robots:
                self.check_robots(current)
            response = self._with_retries(current, dict(headers or {}), method, spool_dir, accept,
                                          max_bytes or self.settings.max_bytes)
            if response.status not in REDIRECT_STATUSES:
                return response
            location = response.headers.get("Location")
            if not location:
                raise FetchError(f"HTTP {response.status} redirect without a Location", status=response.status)
            current = normalise_url(urllib.parse.urljoin(current, location))
            if response.status == 303:
                method = "GET"
        raise FetchError(f"more than {MAX_REDIRECTS} redirects")

    def _with_retries(self, url: str, headers: dict[str, str], method: str, spool_dir: Path | None,
                      accept: Callable[[Message], str | None] | None, max_bytes: int) -> Response:
        attempts = self.settings.retries + 1
        for attempt in range(attempts):
            try:
                return self._once(url, headers, method, spool_dir, accept, max_bytes)
            except FetchError as error:
                if not error.retryable or attempt + 1 == attempts:
                    if error.retryable and attempts > 1:
                        raise FetchError(f"{error.reason} (after {attempts} attempts)", error.status) from error
                    raise
                wait = backoff_delay(attempt + 1, self.settings.backoff)
                if error.retry_after is not None:
                    if error.retry_after > self.settings.max_retry_after:
                        raise FetchError(f"{error.reason} (Retry-After {error.retry_after:g} s is longer than "
                                         f"{self.settings.max_retry_after:g} s)", error.status) from error
                    wait = max(wait, error.retry_after)
                self.sleep(wait)
        raise AssertionError("unreachable")

    def _once(self, url: str, headers: dict[str, str], method: str, spool_dir: Path | None,
              accept: Callable[[Message], str | None] | None, max_bytes: int) -> Response:
        host = urllib.parse.urlsplit(url).netloc
        self.throttle.wait(host)
        try:
            return self._exchange(url, headers, method, spool_dir, accept, max_bytes)
        finally:
            self.throttle.finished(host)

    def _exchange(self, url: str, headers: dict[str, str], method: str, spool_dir: Path | None,
                  accept: Callable[[Message], str | None] | None, max_bytes: int) -> Response:
        request = urllib.request.Request(
            url, method=method, headers={"User-Agent": self.settings.user_agent, "Accept": "*/*", **headers})
        try:
            raw = self.opener.open(request, timeout=self.settings.timeout)
        except urllib.error.HTTPError as error:
            raw = error  # an error status is a response too: its headers matter (Retry-After, Location)
        except Exception as error:  # noqa: BLE001 - sorted by describe_error, which re-raises the unknown
            raise describe_error(error, self.settings.timeout) from error
        try:
            status = raw.status if raw.status is not None else raw.code
            reason = f"HTTP {status} {getattr(raw, 'reason', '') or ''}".strip()
            if status in RETRY_STATUSES:
                raise FetchError(reason, status, parse_retry_after(raw.headers.get("Retry-After")), retryable=True)
            if status in REDIRECT_STATUSES or status == 304:
                return Response(url, status, raw.headers)
            if status >= 300:
                raise FetchError(reason, status)
            refusal = accept(raw.headers) if accept else None
            if refusal:
                raise FetchError(refusal, status)
            if method == "HEAD":
                return Response(url, status, raw.headers)
            return self._download(url, status, raw, spool_dir, max_bytes)
        except FetchError:
            raise
        except Exception as error:  # noqa: BLE001
            raise describe_error(error, self.settings.timeout) from error
        finally:
            raw.close()

    @staticmethod
    def _download(url: str, status: int, raw, spool_dir: Path | None, max_bytes: int) -> Response:
        declared = raw.headers.get("Content-Length", "")
        too_big = f"larger than the {max_bytes:,} byte limit"
        if declared.isdigit() and int(declared) > max_bytes:
            raise FetchError(f"{too_big} (Content-Length {int(declared):,})", status)
        digest, size = hashlib.sha256(), 0
        if spool_dir is None:
            handle, name, out = None, None, io.BytesIO()
        else:
            handle, name = tempfile.mkstemp(prefix=".letopis-part-", dir=spool_dir)
            out = os.fdopen(handle, "wb")
        try:
            with out:
                while chunk := raw.read(CHUNK):
                    size += len(chunk)
                    if size > max_bytes:
                        raise FetchError(too_big, status)
                    digest.update(chunk)
                    out.write(chunk)
                body = out.getvalue() if name is None else None
        except BaseException:
            if name:
                os.unlink(name)
            raise
        return Response(url, status, raw.headers, Path(name) if name else None, body, digest.hexdigest(), size)


# --- writing ---------------------------------------------------------------------------------


def read_manifest_rows(path: Path) -> tuple[list[ManifestRow], list[str]]:
    """The rows of a manifest and its header (both empty when there is none yet)."""
    if not path.exists():
        return [], []
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        rows = [ManifestRow.from_csv(cells) for cells in reader]
        return rows, list(reader.fieldnames or [])


class Archive:
    """A directory of fetched files and its ``manifest.csv``; files are only ever added."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.manifest = directory / MANIFEST_NAME
        directory.mkdir(parents=True, exist_ok=True)
        rows, header = read_manifest_rows(self.manifest)
        self.fieldnames = self._upgrade_header(header)
        # Indexes by URL, so a manifest of a million rows costs no scan per URL.
        self._latest: dict[str, ManifestRow] = {}
        self._last: dict[str, ManifestRow] = {}
        self._versions: dict[str, int] = {}
        for row in rows:
            self._note(row)

    def _note(self, row: ManifestRow) -> None:
        if not row.source_url:
            return
        self._last[row.source_url] = row
        if row.status == ARCHIVED and row.file:
            self._latest[row.source_url] = row
            self._versions[row.source_url] = self._versions.get(row.source_url, 0) + 1

    def _upgrade_header(self, header: list[str]) -> list[str]:
        # An older manifest (the corpus's six columns) gains the fetch columns, its rows and
        # any column of its own kept; appending rows under a shorter header would misalign them.
        wanted = [*COLUMNS, *(c for c in header if c not in COLUMNS)]
        if header and header != wanted:
            with self.manifest.open(newline="", encoding="utf-8-sig") as handle:
                old = list(csv.DictReader(handle))
            fd, temporary = tempfile.mkstemp(prefix=".letopis-manifest-", dir=self.directory)
            with os.fdopen(fd, "w", newline="", encoding="utf-8") as handle:
                writer = csv.DictWriter(handle, fieldnames=wanted, restval="", lineterminator="\n")
                writer.writeheader()
                writer.writerows({k: v for k, v in row.items() if k} for row in old)
            os.chmod(temporary, 0o644)
            os.replace(temporary, self.manifest)
        return wanted

    def path_of(self, row: ManifestRow) -> Path:
        """Where a manifest row's file is."""
        return self.directory / row.file

    def latest(self, url: str) -> ManifestRow | None:
        """The row of ``url``'s most recently stored version, if its file is still there."""
        row = self._latest.get(url)
        return row if row is not None and self.path_of(row).is_file() else None

    def last_row(self, url: str) -> ManifestRow | None:
        """The most recent row about ``url``, whatever its status."""
        return self._last.get(url)

    def append(self, row: ManifestRow) -> None:
        """Add a row to the manifest (on disk at once, so an interrupted run loses nothing)."""
        new_file = not self.manifest.exists() or self.manifest.stat().st_size == 0
        with self.manifest.open("a", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=self.fieldnames, restval="", lineterminator="\n")
            if new_file:
                writer.writeheader()
            writer.writerow(row.to_csv())
        self._note(row)

    def record_problem(self, row: ManifestRow) -> bool:
        """Append a failed or skipped row unless the URL's last row says the same; True if appended."""
        last = self.last_row(row.source_url)
        if last is not None and (last.status, last.error, last.linked_from) == (row.status, row.error, row.linked_from):
            return False
        self.append(row)
        return True

    def store(self, response: Response, url: str, linked_from: str = "") -> ManifestRow:
        """Move a downloaded body into the archive under a name no other file has, and record it.

        The name is :func:`file_name` with the next free version number; an existing file is
        never replaced (the name is claimed with an exclusive create before the body moves in).
        """
        assert response.path is not None, "store() needs a body spooled to a file"
        extension = choose_extension(url, response.content_type, response.headers.get("Content-Disposition"))
        version = 1 + self._versions.get(url, 0)
        while True:
            target = self.directory / file_name(url, extension, version)
            try:
                os.close(os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
                break
            except FileExistsError:
                version += 1
        os.replace(response.path, target)
        os.chmod(target, 0o644)  # mkstemp made it 0600
        response.path = None
        row = ManifestRow(
            file=target.name, source_url=url, retrieved=utc_now(), sha256=response.sha256,
            linked_from=linked_from, content_type=response.content_type, http_status=response.status,
            size=response.size, etag=response.headers.get("ETag", ""),
            last_modified=response.headers.get("Last-Modified", ""), status=ARCHIVED)
        self.append(row)
        return row


# --- running ---------------------------------------------------------------------------------


@dataclass
class Outcome:
    """What happened to one URL: ``archived`` (a new file), ``unchanged``, ``failed`` or ``skipped``."""

    kind: str
    url: str
    row: ManifestRow | None = None
    final_url: str = ""
    reason: str = ""


@dataclass
class FetchReport:
    """The outcomes of a run, in order."""

    outcomes: list[Outcome] = field(default_factory=list)

    def count(self, kind: str) -> int:
        """How many URLs ended as ``kind``."""
        return sum(1 for outcome in self.outcomes if outcome.kind == kind)

    @property
    def failures(self) -> list[Outcome]:
        return [outcome for outcome in self.outcomes if outcome.kind == FAILED]

    @property
    def exit_code(self) -> int:
        """0 when nothing failed (robots.txt skips are not failures), else :data:`EXIT_SOME_FAILED`."""
        return EXIT_SOME_FAILED if self.failures else 0

    def summary(self) -> str:
        """``3 archived, 2 unchanged, 1 failed, 0 skipped``."""
        return ", ".join(f"{self.count(kind)} {kind}" for kind in (ARCHIVED, "unchanged", FAILED, SKIPPED))


def _refuse_html(headers: Message) -> str | None:
    # A document link answered with a page is a login wall or a soft 404, not the document.
    content_type = headers.get("Content-Type", "")
    return f"expected a document, the server sent {media_type(content_type)}" if is_html_type(content_type) else None


def fetch_resource(client: Client, archive: Archive, url: str, linked_from: str = "",
                   document_expected: bool = False) -> Outcome:
    """Fetch one URL into the archive: conditionally when it was stored before; a new version
    only when its body changed. Failures and robots.txt refusals become manifest rows."""
    previous = archive.latest(url)

    def problem(kind: str, reason: str, status: int | None = None) -> Outcome:
        row = ManifestRow(source_url=url, retrieved=utc_now(), linked_from=linked_from, http_status=status,
                          status=kind, error=reason)
        archive.record_problem(row)
        return Outcome(kind, url, row, reason=reason)

    try:
        response = client.request(url, conditional_headers(previous), spool_dir=archive.directory,
                                  accept=_refuse_html if document_expected else None)
    except Disallowed as refusal:
        return problem(SKIPPED, str(refusal))
    except FetchError as error:
        return problem(FAILED, error.reason, error.status)
    if response.status == 304:
        if previous is None:
            return problem(FAILED, "HTTP 304 Not Modified for a URL with no stored copy", 304)
        return Outcome("unchanged", url, previous, final_url=response.url)
    if previous is not None and response.sha256 == previous.sha256:
        response.discard()
        return Outcome("unchanged", url, previous, final_url=response.url)
    try:
        row = archive.store(response, url, linked_from)
    finally:
        response.discard()
    return Outcome(ARCHIVED, url, row, final_url=response.url)


def plan_attachments(links: Iterable[str], seen: set[str]) -> list[tuple[str, bool]]:
    """The links of a page worth fetching, each with whether a HEAD request must first tell
    if it is a document; links already handled in this run (``seen``) are left out."""
    plan = []
    for link in links:
        kind = classify_link(link)
        if kind != "ignore" and link not in seen:
            plan.append((link, kind == "probe"))
    return plan


def _probe(client: Client, url: str) -> bool:
    # A HEAD that fails (405 included) leaves the link unknown, so it is neither fetched nor recorded.
    try:
        response = client.request(url, method="HEAD")
    except (Disallowed, FetchError):
        return False
    return is_document_response(response.headers)


def _page_links(archive: Archive, outcome: Outcome) -> list[str]:
    row = outcome.row
    if outcome.kind not in (ARCHIVED, "unchanged") or row is None:
        return []
    path = archive.path_of(row)
    if not (is_html_type(row.content_type) or (not row.content_type and path.suffix == ".html")):
        return []
    return extract_links(decode_html(path.read_bytes(), row.content_type), outcome.final_url or outcome.url)


def fetch_all(urls: Iterable[str], directory: Path, settings: FetchSettings | None = None, *,
              client: Client | None = None, log: Callable[[str], None] | None = None) -> FetchReport:
    """Archive each URL and, for HTML pages, the documents they link to, into ``directory``."""
    client = client or Client(settings)
    archive = Archive(Path(directory))
    report = FetchReport()
    seen: set[str] = set()  # fetched in this run
    not_documents: set[str] = set()  # probed in this run: pages, not documents

    def run(url: str, linked_from: str = "", document_expected: bool = False) -> Outcome:
        seen.add(url)
        outcome = fetch_resource(client, archive, url, linked_from, document_expected)
        report.outcomes.append(outcome)
        if log:
            detail = outcome.reason or (outcome.row.file if outcome.row else "")
            log(f"{outcome.kind:>9}  {url}" + (f"  ({detail})" if detail else ""))
        return outcome

    for url in urls:
        url = normalise_url(url)
        if url in seen:
            continue
        page = run(url)
        for link, needs_probe in plan_attachments(_page_links(archive, page), seen | not_documents):
            if needs_probe and archive.latest(link) is None and not _probe(client, link):
                not_documents.add(link)
                continue
            run(link, linked_from=url, document_expected=True)
    return report


# --- command ---------------------------------------------------------------------------------


@click.command("fetch")
@click.argument("urls_file", type=click.File("r", encoding="utf-8-sig"))
@click.option("--into", "directory", required=True, type=click.Path(file_okay=False),
              help="Directory to store the files and manifest.csv in (created if missing).")
@click.option("--delay", type=click.FloatRange(min=0), default=1.0, show_default=True, metavar="SECONDS",
              help="Minimum time between two requests to the same host.")
@click.option("--timeout", type=click.FloatRange(min=0.001), default=30.0, show_default=True, metavar="SECONDS",
              help="Time a connection or a read may take.")
@click.option("--retries", type=click.IntRange(min=0), default=3, show_default=True,
              help="Further attempts after a connection error, a timeout, a 429 or a 5xx.")
@click.option("--backoff", type=click.FloatRange(min=0), default=1.0, show_default=True, metavar="SECONDS",
              help="Wait before the first retry (doubles on each further one).")
@click.option("--max-size", "max_size_mb", type=click.FloatRange(min=0, min_open=True), default=100.0,
              show_default=True, metavar="MB", help="Larger downloads are abandoned and recorded as failed.")
@click.option("--contact", envvar="LETOPIS_CONTACT", metavar="URL|EMAIL",
              help="Put in the User-Agent so site owners can reach you [env: LETOPIS_CONTACT].")
@click.option("--quiet", is_flag=True, help="Only the summary and the failures.")
def fetch_command(urls_file, directory: str, delay: float, timeout: float, retries: int, backoff: float,
                  max_size_mb: float, contact: str | None, quiet: bool) -> None:
    """Archive the pages listed in URLS_FILE and the documents they link to into DIR.

    URLS_FILE has one URL per line (blank lines and # comments are skipped). Each page is
    stored; from an HTML page only links to documents (PDF, DOC(X), RTF, ODT, XLS(X), ODS) are
    followed, never other pages. Every stored file, failure and robots.txt skip is a row of
    DIR/manifest.csv. A re-run asks only for what changed and stores a changed file as a new
    version. Exits with status 3 when some URL failed (the others are archived).
    """
    settings = FetchSettings(delay=delay, timeout=timeout, retries=retries, backoff=backoff,
                             max_bytes=int(max_size_mb * 1024 * 1024), user_agent=user_agent(contact))
    if not contact and not quiet:
        click.echo("note: no --contact given; site owners will not know how to reach you", err=True)
    report = fetch_all(read_urls(urls_file), Path(directory), settings,
                       log=None if quiet else (lambda line: click.echo(line, err=True)))
    click.echo(report.summary())
    for failure in report.failures:
        click.echo(f"  failed: {failure.url}: {failure.reason}", err=True)
    if report.exit_code:
        raise SystemExit(report.exit_code)
