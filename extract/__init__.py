"""letopis extractors: readers (file → Document) and field extractors (Document → records). No database here."""
from extract.pipeline import EXTRACTOR_VERSION, extract_document, extract_file, warm_up
from extract.readers import ReadError, read_document

__all__ = ["EXTRACTOR_VERSION", "ReadError", "extract_document", "extract_file", "read_document"]
