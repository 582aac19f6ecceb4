"""Field extractors: each takes a ``Document`` (and sometimes earlier results) and returns records."""
