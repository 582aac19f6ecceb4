"""Index extracted documents into SQLite (sqlite-utils) and serve them with Datasette.

- ``index.schema``: the database shape, declared once; ``ensure_schema(db)``.
- ``index.load``: save one extracted document / failure; read ``manifest.csv``.
- ``index.build``: walk a corpus and bring the database up to date, incrementally.
- ``index.workers`` / ``index.distributed``: extraction in worker processes or on a Dask cluster.
- ``index.resolve`` / ``index.checks``: entities across documents and consistency flags.
- ``index.lemmas``: Bulgarian lemma text for search, and the query parser.
- ``index.web``: the Datasette plugin (pages, highlights, feeds).
- ``index.fetch``: archive web pages and their attachments.
- ``index.serve``: run Datasette with the repository's ``metadata.yml``.
"""
