"""The Document: what every reader produces and every field extractor consumes."""
from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Table:
    """A table found in the source, with the character span its text occupies in ``Document.text``."""

    rows: list[list[str]]
    start: int
    end: int
    page: int = 1


@dataclass
class Document:
    """A read file: normalised text plus where every character came from.

    ``pages`` holds the character offset at which each page starts (``pages[0] == 0``);
    formats without pages have a single page.
    """

    text: str
    source: str
    sha256: str
    format: str
    pages: list[int] = field(default_factory=lambda: [0])
    title: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    tables: list[Table] = field(default_factory=list)
    links: list[dict[str, str]] = field(default_factory=list)

    def page_of(self, offset: int) -> int:
        """The 1-based page number holding character ``offset``."""
        return max(1, bisect.bisect_right(self.pages, offset))

    def evidence(self, start: int, end: int) -> dict[str, Any]:
        """The evidence object for ``text[start:end]``, the only way records cite the text."""
        if not 0 <= start <= end <= len(self.text):
            raise ValueError(f"evidence span {start}:{end} outside text of length {len(self.text)}")
        return {"start": start, "end": end, "page": self.page_of(start), "text": self.text[start:end]}
