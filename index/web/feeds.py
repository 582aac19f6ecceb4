"""Atom feeds from canned queries: add ``.atom`` to a query that returns ``atom_*`` columns.

The columns are datasette-atom's (``atom_id``, ``atom_title``, ``atom_updated``, optional
``atom_content`` as text, ``atom_link``), but an empty result is a valid empty
feed (a municipality with no decisions yet), links become absolute, and the feed's title names
the query's parameters.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime, timezone
from urllib.parse import urljoin

from datasette.utils.asgi import Response

ATOM = "http://www.w3.org/2005/Atom"
REQUIRED = {"atom_id", "atom_title", "atom_updated"}


def rfc3339(value) -> str:
    """An ISO date or datetime as an Atom timestamp (a value without a zone is taken as UTC)."""
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        moment = datetime.now(timezone.utc)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.isoformat()


def feed_xml(title: str, self_url: str, alternate_url: str, rows: list[dict]) -> bytes:
    """An Atom document of ``rows`` (dicts with ``atom_*`` keys), newest ``updated`` as the feed's."""
    ET.register_namespace("", ATOM)

    def add(parent, tag, text=None, **attributes):
        element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attributes)
        if text is not None:
            element.text = str(text)
        return element

    feed = ET.Element(f"{{{ATOM}}}feed")
    add(feed, "id", self_url)
    add(feed, "title", title)
    updated = [rfc3339(row["atom_updated"]) for row in rows if row.get("atom_updated")]
    add(feed, "updated", max(updated) if updated else datetime.now(timezone.utc).isoformat(timespec="seconds"))
    add(feed, "link", href=self_url, rel="self")
    add(feed, "link", href=alternate_url, rel="alternate")
    add(feed, "generator", "letopis")
    for row in rows:
        entry = add(feed, "entry")
        add(entry, "id", row["atom_id"])
        add(entry, "title", row["atom_title"])
        add(entry, "updated", rfc3339(row["atom_updated"]))
        if row.get("atom_link"):
            add(entry, "link", href=urljoin(self_url, str(row["atom_link"])))
        if row.get("atom_content"):
            add(entry, "content", row["atom_content"], type="text")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


def render_atom(datasette, request, rows, columns, query_name, database):
    """Datasette output renderer for ``.atom``."""
    if not REQUIRED <= set(columns):
        return Response.text("This query has no atom_id, atom_title and atom_updated columns", status=400)
    title = "letopis"
    if query_name:
        query = (datasette.metadata(database=database) or {}).get("queries", {}).get(query_name) or {}
        title = query.get("title") or query_name
    given = [f"{key}: {request.args.get(key)}" for key in request.args if not key.startswith("_") and request.args.get(key)]
    if given:
        title += " (" + ", ".join(given) + ")"
    self_url = request.url
    alternate = self_url.replace(".atom", "", 1)
    body = feed_xml(title, self_url, alternate, [dict(zip(columns, row)) for row in rows])
    return Response(body, content_type="application/atom+xml; charset=utf-8")


def can_render_atom(columns) -> bool:
    return REQUIRED <= set(columns)
