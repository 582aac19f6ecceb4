"""Pure HTML builders for the web pages: a text with nested highlights, and ``**`` snippets.

Nothing here touches a database. Every piece of document text goes through :func:`escape`
(documents are archived web pages and may hold HTML), and the only markup added is ours.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from html import escape as _escape

from markupsafe import Markup


def escape(text: str) -> str:
    """``text`` safe to put in HTML, inside elements and inside quoted attributes."""
    return _escape(text, quote=True)


@dataclass(frozen=True)
class Span:
    """One highlight: characters ``start:end`` of the text, what kind of record, its anchor and tooltip."""

    start: int
    end: int
    kind: str
    anchor: str | None = None
    title: str = ""
    href: str | None = None


def _open_tag(span: Span, first: bool) -> str:
    attributes = [f'class="{escape(span.kind)}{"" if first else " continued"}"']
    if first and span.anchor:
        attributes.append(f'id="{escape(span.anchor)}"')
    if span.title:
        attributes.append(f'title="{escape(span.title)}"')
    if span.href:
        attributes.append(f'data-href="{escape(span.href)}"')
    return f"<mark {' '.join(attributes)}>"


def marked_html(text: str, spans: list[Span], breaks: dict[int, str] | None = None) -> Markup:
    """``text`` escaped, with every span as ``<mark class="kind" id="anchor" title="…">``.

    Spans may overlap in any way: the text is cut at every span boundary and each piece is
    wrapped in the spans covering it, outermost (earliest start, then longest) first. A span
    cut by another's end is closed and reopened, so the HTML always nests; only its first
    piece carries the ``id``, later pieces the class ``continued``. ``breaks`` maps offsets
    to HTML inserted there (page markers), which must be our own markup, never text.
    """
    breaks = breaks or {}
    spans = [s for s in spans if 0 <= s.start < s.end <= len(text)]
    order = {span: n for n, span in enumerate(sorted(spans, key=lambda s: (s.start, -s.end, s.kind, s.anchor or "")))}
    cuts = sorted({0, len(text), *breaks, *(s.start for s in spans), *(s.end for s in spans)})
    starting: dict[int, list[Span]] = {}
    for span in spans:
        starting.setdefault(span.start, []).append(span)
    out: list[str] = []
    stack: list[Span] = []
    opened: set[Span] = set()
    covering: set[Span] = set()
    for left, right in zip(cuts, cuts[1:] + [None]):
        covering = {s for s in covering if s.end > left} | set(starting.get(left, ()))
        active = sorted(covering, key=order.__getitem__) if right is not None else []
        keep = 0
        while keep < len(stack) and keep < len(active) and stack[keep] is active[keep]:
            keep += 1
        out.extend("</mark>" for _ in stack[keep:])
        del stack[keep:]
        if left in breaks:
            out.append(breaks[left])
        for span in active[keep:]:
            out.append(_open_tag(span, span not in opened))
            opened.add(span)
            stack.append(span)
        if right is not None:
            out.append(escape(text[left:right]))
    out.extend("</mark>" for _ in stack)
    return Markup("".join(out))


SNIPPET_MARK = re.compile(r"\*\*(.+?)\*\*", re.S)


def snippet_html(snippet: str | None) -> Markup:
    """A ``**``-marked snippet (``letopis_snippet``) as escaped HTML with ``<mark>`` hits."""
    return Markup(SNIPPET_MARK.sub(lambda m: f"<mark>{m.group(1)}</mark>", escape(snippet or "")))


def money(value: float | None) -> str:
    """A sum the Bulgarian way: ``65 410,72`` (space for thousands, comma for decimals)."""
    if value is None:
        return "?"
    return f"{value:,.2f}".replace(",", "\u00a0").replace(".", ",")
