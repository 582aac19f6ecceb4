"""Index extracted documents into SQLite (sqlite-utils) and serve them with Datasette.

- ``index.schema``: the database shape, declared once; ``ensure_schema(db)``.
- ``index.load``: save one extracted document / failure; read ``manifest.csv``.
- ``index.build``: walk a corpus and bring the database up to date, incrementally.
- ``index.serve``: run Datasette with the repository's ``metadata.yml``.
"""
