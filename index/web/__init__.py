"""The letopis Datasette plugin: Bulgarian search functions, document and entity pages, links.

Registered by :func:`index.serve.install_plugin` (in this process) or through
``index/web/plugins/`` (``letopis serve`` passes it as ``--plugins-dir``). Datasette finds
``templates/`` beside this file because the plugin is this package.

Pages (the database is always ``letopis``):

- ``/letopis/documents/<id>``: the text with every extracted record highlighted in place;
  ``/letopis/documents/<id>/file``: the archived file.
- ``/letopis/persons/<id>``, ``/letopis/organizations/<id>``, ``/letopis/projects/<id>``:
  every mention in time order. Their ``.json`` stays Datasette's row API.
- ``/-/about``: who the site is for and what to ask it.
"""
from __future__ import annotations

import mimetypes
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

from datasette import hookimpl
from datasette.utils import tilde_decode, tilde_encode
from datasette.utils.asgi import NotFound, Response
from markupsafe import Markup, escape

from ..lemmas import register_sql_functions
from ..schema import RECORD_TABLES
from .feeds import can_render_atom, render_atom
from .highlight import marked_html, money, snippet_html
from .pages import ENTITIES, LABELS, archived_file, document_spans, load_document, load_entity, page_breaks

DATABASE_NAME = "letopis"
"""The name the database is served under, whatever its file is called (``index.serve`` re-exports it)."""

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
RECORD_TABLE_NAMES = {spec.name for spec in RECORD_TABLES.values()}
ANCHOR_COLUMNS = ("decision_id", "record_id", "mention_id")
"""Columns of canned queries that hold a record id: they link to the record's place in its document."""


def database_path(datasette) -> str:
    return datasette.urls.database(DATABASE_NAME)


def document_href(datasette, doc_id: str, anchor: str | None = None) -> str:
    """The document page of ``doc_id``, at the highlight ``anchor`` (a record id) if given."""
    href = f"{database_path(datasette)}/documents/{tilde_encode(str(doc_id))}"
    return href + (f"#{anchor}" if anchor else "")


def archive_root(datasette) -> Path:
    """Where archived files live: plugin setting ``archive_root``, else the directory served from."""
    config = datasette.plugin_config("letopis") or {}
    return Path(config.get("archive_root") or ".")


async def _check_view(datasette, request, table: str) -> None:
    await datasette.ensure_permissions(request.actor, [
        ("view-table", (DATABASE_NAME, table)), ("view-database", DATABASE_NAME), "view-instance"])


async def document_page(request, datasette):
    """``/letopis/documents/<id>``: the document's text with its records highlighted in place."""
    await _check_view(datasette, request, "documents")
    doc_id = tilde_decode(request.url_vars["id"])
    db = datasette.get_database(DATABASE_NAME)
    document = await db.execute_fn(lambda conn: load_document(conn, doc_id))
    if document is None:
        raise NotFound(f"No document {doc_id}")
    spans = document_spans(document["records"], database_path(datasette))
    breaks = {offset: f'<span class="page-start" id="page-{n}" data-page="{n}"></span>'
              for offset, n in page_breaks(document["pages"]).items()}
    counts = {kind: len(rows) for kind, rows in document["records"].items() if rows}
    return Response.html(await datasette.render_template("letopis_document.html", {
        "document": document,
        "marked_text": marked_html(document["text"] or "", spans, breaks),
        "counts": counts,
        "labels": LABELS,
        "has_file": archived_file(archive_root(datasette), document["path"]) is not None,
        "json_url": f"{database_path(datasette)}/documents/{tilde_encode(doc_id)}.json",
        "database_path": database_path(datasette),
    }, request=request))


async def document_file(request, datasette):
    """``/letopis/documents/<id>/file``: the archived original, served so that it cannot run scripts here."""
    await _check_view(datasette, request, "documents")
    doc_id = tilde_decode(request.url_vars["id"])
    db = datasette.get_database(DATABASE_NAME)
    rows = (await db.execute("select path from documents where id = ?", [doc_id])).rows
    path = archived_file(archive_root(datasette), rows[0]["path"]) if rows else None
    if path is None:
        raise NotFound("The archived file is not on this server")
    content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    inline = content_type in ("application/pdf", "text/plain")
    return Response(path.read_bytes(), content_type=content_type, headers={
        "Content-Disposition": f'{"inline" if inline else "attachment"}; filename="{tilde_encode(path.name)}"',
        "Content-Security-Policy": "sandbox",
        "X-Content-Type-Options": "nosniff",
    })


async def entity_page(request, datasette):
    """``/letopis/<persons|organizations|projects>/<id>``: every mention, oldest document first."""
    table = request.url_vars["table"]
    await _check_view(datasette, request, table)
    entity_id = tilde_decode(request.url_vars["id"])
    db = datasette.get_database(DATABASE_NAME)
    entity = await db.execute_fn(lambda conn: load_entity(conn, table, entity_id))
    if entity is None:
        raise NotFound(f"No {ENTITIES[table]['kind']} {entity_id}")
    return Response.html(await datasette.render_template("letopis_entity.html", {
        "table": table,
        "kind": ENTITIES[table]["kind"],
        "entity": entity,
        "json_url": f"{database_path(datasette)}/{table}/{tilde_encode(entity_id)}.json",
        "database_path": database_path(datasette),
    }, request=request))


async def about_page(request, datasette):
    """``/-/about``: who letopis is for and the questions it answers."""
    return Response.html(await datasette.render_template("letopis_about.html", {
        "database_path": database_path(datasette)}, request=request))


async def static_file(request, datasette):
    """``/-/letopis/<file>``: the plugin's CSS, served by the plugin so no CDN is involved."""
    path = (STATIC / request.url_vars["path"]).resolve()
    if not path.is_relative_to(STATIC) or not path.is_file():
        raise NotFound("No such file")
    content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return Response(path.read_bytes(), content_type=content_type,
                    headers={"Cache-Control": "max-age=3600"})


def row_path(table: str, row_id, anchor: str | None = None) -> str:
    """``/letopis/<table>/<id>[#anchor]``, the id tilde-encoded as Datasette does (project codes hold dots)."""
    return f"/{DATABASE_NAME}/{table}/{tilde_encode(str(row_id))}" + (f"#{anchor}" if anchor else "")


MMAP_BYTES = 2 * 1024 ** 3
"""How much of the database file each read connection maps into memory (SQLite caps it near 2 GB)."""


@hookimpl
def prepare_connection(conn, database):
    register_sql_functions(conn)
    if database == DATABASE_NAME:
        # Pages are read from the OS page cache either way; a memory map saves one pread system
        # call per page, which halves queries that visit thousands of document rows (the flags
        # and budgets lists at 100,000 documents, bench/build.py).
        conn.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")
    conn.create_function("letopis_path", 2, row_path, deterministic=True)
    conn.create_function("letopis_path", 3, row_path, deterministic=True)


@hookimpl
def register_routes():
    database = DATABASE_NAME
    return [
        (rf"^/{database}/documents/(?P<id>[^/.]+)$", document_page),
        (rf"^/{database}/documents/(?P<id>[^/.]+)/file$", document_file),
        (rf"^/{database}/(?P<table>persons|organizations|projects)/(?P<id>[^/.]+)$", entity_page),
        (r"^/-/about$", about_page),
        (r"^/-/letopis/(?P<path>[\w-]+\.(?:css|js|svg))$", static_file),
    ]


@hookimpl
def register_output_renderer():
    return {"extension": "atom", "render": render_atom, "can_render": can_render_atom}


@hookimpl
def prepare_jinja2_environment(env):
    env.filters["snippet_html"] = snippet_html
    env.filters["money"] = money
    env.filters["tilde_encode"] = lambda value: tilde_encode(str(value))


@hookimpl
def extra_css_urls(datasette):
    return [{"url": datasette.urls.path("/-/letopis/letopis.css")}]


@hookimpl
def menu_links(datasette):
    return [
        {"href": datasette.urls.path(f"/{DATABASE_NAME}/search"), "label": "Search"},
        {"href": datasette.urls.path("/-/dashboards/letopis"), "label": "Charts"},
        {"href": datasette.urls.path("/-/about"), "label": "About and example questions"},
    ]


def _link(href: str, text: str, title: str | None = None) -> Markup:
    title_attribute = f' title="{escape(title)}"' if title else ""
    return Markup(f'<a href="{escape(href)}"{title_attribute}>{escape(text)}</a>')


def _truncate(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[:limit] + "\u2026"


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    """Record rows link to their place in the document; search snippets show their hits."""
    if database != DATABASE_NAME or not isinstance(value, str) or not value:
        return None
    keys = set(row.keys())
    if table in RECORD_TABLE_NAMES and column == "evidence_text" and {"id", "document_id"} <= keys:
        doc_id = row["document_id"]
        if isinstance(doc_id, dict):  # a table page expands foreign keys to {value, label}
            doc_id = doc_id.get("value")
        return _link(document_href(datasette, doc_id, row["id"]), _truncate(value),
                     "Show this passage highlighted in the document")
    if column == "lemmas" and table is not None:
        return Markup(f'<span class="lemmas" title="Dictionary forms of the words, for search">'
                      f'{escape(_truncate(value, 80))}</span>')
    if table is not None:
        return None
    if column == "snippet":
        return snippet_html(value)
    if column == "link" and value.startswith("/"):
        return _link(datasette.urls.path(value), "open")
    if column in ANCHOR_COLUMNS and "document_id" in keys and row["document_id"]:
        return _link(document_href(datasette, row["document_id"], value), value, "Show it in the document")
    if column == "document_id":
        return _link(document_href(datasette, value), value)
    for link_column, entity_table in (("person_id", "persons"), ("organization_id", "organizations"),
                                      ("project_id", "projects")):
        if column == link_column:
            return _link(f"{database_path(datasette)}/{entity_table}/{tilde_encode(value)}", value)
    return None


SEARCH_REDIRECT_KEEPS = {"_search", "_size"}
"""Query parameters a documents-table search may have and still be sent to the site's search."""


def search_redirect(path: str, query: str) -> str | None:
    """Where a plain search of the documents table should go instead: the ``search`` query.

    Datasette's own table search is unranked, knows no Bulgarian word forms and, at 100,000
    documents, takes half a second to count, sort and facet a common word's matches; the
    ``search`` query ranks, finds every word form and answers in about 40 ms. A table search
    narrowed by column filters or a facet stays Datasette's. Returns ``None`` to let it through.
    """
    base = f"/{DATABASE_NAME}/documents"
    if path not in (base, base + ".json"):
        return None
    params = parse_qsl(query, keep_blank_values=True)
    names = {name for name, _ in params}
    terms = [value.strip() for name, value in params if name == "_search"]
    if len(terms) != 1 or not names <= SEARCH_REDIRECT_KEEPS:
        return None
    suffix = ".json" if path.endswith(".json") else ""
    return f"/{DATABASE_NAME}/search{suffix}?{urlencode({'q': terms[0]})}"


@hookimpl
def asgi_wrapper(datasette):
    def wrap(app):
        async def redirect_plain_search(scope, receive, send):
            target = None
            if scope["type"] == "http" and scope.get("method") in ("GET", "HEAD"):
                prefix = datasette.urls.path("/").rstrip("/")
                path = scope["path"]
                if path.startswith(prefix):
                    target = search_redirect(path[len(prefix):] or "/", scope.get("query_string", b"").decode("utf-8", "replace"))
            if target is None:
                return await app(scope, receive, send)
            await Response.redirect(datasette.urls.path(target)).asgi_send(send)
        return redirect_plain_search
    return wrap


@hookimpl
def startup():
    # Load simplemma's Bulgarian dictionary now rather than during the first search (~0.5 s).
    from ..lemmas import lemma

    lemma("решение")
