"""HTML reader: the main content only (trafilatura), with publication date and attachment links."""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urljoin

from extract.document import Document, Table
from extract.normalize import normalize_text
from extract.readers import ReadError, file_sha256
from extract.readers.text import decode_bytes

ATTACHMENT_SUFFIXES = (".pdf", ".doc", ".docx", ".rtf", ".odt", ".xls", ".xlsx", ".ods", ".zip", ".rar", ".7z")
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([\w-]+)""", re.I)
_TABLE_ROW = re.compile(r"^\|.*\|\s*$", re.M)


def decode_html(data: bytes) -> str:
    """Decode HTML by its declared charset, else strict UTF-8, else windows-1251."""
    declared = _CHARSET.search(data[:4096])
    if declared:
        try:
            return data.decode(declared.group(1).decode("ascii").lower())
        except (LookupError, UnicodeDecodeError):
            pass
    return decode_bytes(data)[0]


def attachment_links(html: str, base_url: str | None = None) -> list[dict[str, str]]:
    """Links to attached documents (PDF, DOC, ...) found anywhere in the page."""
    import lxml.html

    try:
        tree = lxml.html.fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return []
    links, seen = [], set()
    for anchor in tree.iter("a"):
        href = (anchor.get("href") or "").strip()
        if not href.lower().split("?")[0].endswith(ATTACHMENT_SUFFIXES):
            continue
        url = urljoin(base_url, href) if base_url else href
        if url in seen:
            continue
        seen.add(url)
        links.append({"url": url, "text": " ".join(anchor.text_content().split())})
    return links


def markdown_tables(text: str) -> list[Table]:
    """Tables that trafilatura renders as ``| a | b |`` lines, with their spans."""
    tables: list[Table] = []
    rows: list[list[str]] = []
    start = end = None
    for match in _TABLE_ROW.finditer(text):
        if rows and match.start() != end + 1:
            tables.append(Table(rows=rows, start=start, end=end))
            rows, start = [], None
        cells = [cell.strip() for cell in match.group(0).strip().strip("|").split("|")]
        rows.append(cells)
        start = match.start() if start is None else start
        end = match.end()
    if rows:
        tables.append(Table(rows=rows, start=start, end=end))
    return tables


_SKIP_ANCESTORS = {"nav", "header", "footer", "aside", "form"}
_DATE_LIKE = re.compile(r"\d{1,2}[./]\d{1,2}[./]\d{2,4}|\d{1,2}\s+[а-яА-Я]+\s+\d{4}|публикува|дата", re.I)


def _outside_chrome(element) -> bool:
    """True unless the element sits in navigation, a sidebar, a footer or a cookie banner."""
    ancestors = list(element.iterancestors())
    in_article = any(a.tag in ("article", "main") for a in ancestors)
    for ancestor in ancestors:
        if ancestor.tag in ("article", "main"):
            return True
        classes = (ancestor.get("class") or "") + " " + (ancestor.get("id") or "")
        if ancestor.tag == "header" and in_article:
            continue
        if ancestor.tag in _SKIP_ANCESTORS or re.search(r"sidebar|menu|cookie|footer|breadcrumb|widget", classes, re.I):
            return False
    return True


_PUBLISHED_LINE = re.compile(r"публикуван[оа]?|дата\s+на\s+публикуване|posted|published", re.I)


def article_header(html: str, main_text: str) -> list[str]:
    """The article's headline and its publication line, which main-text extraction often drops."""
    import lxml.html

    try:
        tree = lxml.html.fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return []
    head = main_text[:400]
    lines = []
    for heading in tree.iter("h1", "h2"):
        if not _outside_chrome(heading):
            continue
        title = " ".join(heading.text_content().split())
        if title and title not in head:
            lines.append(title)
        break
    for element in tree.iter("div", "p", "span", "time", "li"):
        text = " ".join(element.text_content().split())
        if not text or len(text) > 160 or not _PUBLISHED_LINE.search(text) or not _DATE_LIKE.search(text):
            continue
        if _outside_chrome(element):
            if text not in main_text:
                lines.append(text)
            break
    return lines


def paragraphs_apart(text: str) -> str:
    """One blank line between paragraphs (trafilatura gives one line each); table rows stay together."""
    lines = text.split("\n")
    out = []
    for i, line in enumerate(lines):
        out.append(line)
        if i + 1 < len(lines) and not (line.startswith("|") and lines[i + 1].startswith("|")) and line.strip():
            out.append("")
    return "\n".join(out)


PUBLICATION_DATE_SEARCH = {"extensive_search": False, "original_date": True}
"""htmldate reads the page's markup (meta tags, time elements, URL) but not free text: the
date extractors read the text themselves, and the free-text search loads every dateparser
locale (seconds per process) to find what they find anyway."""


def read_html_document(path: Path, data: bytes) -> Document:
    """Read a saved web page: main text, title, publication date, attachment links."""
    import trafilatura

    html = decode_html(data)
    try:
        extracted = trafilatura.bare_extraction(html, with_metadata=True, include_tables=True,
                                                include_links=False, favor_recall=True,
                                                date_extraction_params=PUBLICATION_DATE_SEARCH)
    except Exception as error:  # trafilatura raises a variety of parser errors
        raise ReadError(f"the HTML could not be parsed: {error}") from error
    if extracted is None or not (extracted.text or "").strip():
        raise ReadError("no main text found in the HTML page")
    header = article_header(html, extracted.text)
    text = normalize_text(paragraphs_apart("\n".join(header + [extracted.text])))
    page_title = re.search(r"<title[^>]*>(.*?)</title>", html, re.I | re.S)
    metadata = {
        "html_title": normalize_text(" ".join(page_title.group(1).split())) if page_title else None,
        "published": extracted.date,
        "url": extracted.url,
        "sitename": extracted.sitename,
    }
    return Document(text=text, source=str(path), sha256=file_sha256(data), format="html",
                    title=normalize_text(extracted.title) if extracted.title else metadata["html_title"],
                    metadata={k: v for k, v in metadata.items() if v},
                    tables=markdown_tables(text), links=attachment_links(html, extracted.url))
