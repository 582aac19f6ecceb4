"""letopis extractors: readers (file → Document) and field extractors (Document → records). No database here.

The names below are imported on first use (PEP 562): ``extract.EXTRACTOR_VERSION`` alone does not
load spaCy, the readers and the models, so a build with nothing to extract starts in a fraction
of the time.
"""
from __future__ import annotations

import importlib

_LAZY = {
    "EXTRACTOR_VERSION": "extract.version",
    "extract_document": "extract.pipeline",
    "extract_file": "extract.pipeline",
    "warm_up": "extract.pipeline",
    "ReadError": "extract.readers",
    "read_document": "extract.readers",
}

__all__ = ["EXTRACTOR_VERSION", "ReadError", "extract_document", "extract_file", "read_document", "warm_up"]


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module 'extract' has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value
    return value
