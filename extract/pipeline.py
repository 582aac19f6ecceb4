"""From a file to the extraction contract: read, then run every field extractor."""
from __future__ import annotations

from pathlib import Path

from extract.calibrate import add_confidence
from extract.privacy import redact_document
from extract.document import Document
from extract.fields.agenda import extract_agenda
from extract.fields.amounts import extract_amounts
from extract.fields.attendance import extract_attendance
from extract.fields.dates import choose_document_date, extract_dates
from extract.fields.decisions import extract_decisions
from extract.fields.doctype import classify_doc_type
from extract.fields.municipality import extract_municipality
from extract.fields.organizations import extract_organizations
from extract.fields.people import extract_people
from extract.fields.projects import extract_projects
from extract.readers import read_document

from extract.version import EXTRACTOR_VERSION, REDACT_CONTACTS, RULES_VERSION  # noqa: F401 - re-exported

MEETING_TYPES = ("protocol", "decision")


def extract_document(doc: Document) -> dict:
    """Every field of the extraction contract for one read document, each item with its confidence.

    Personal numbers (ЕГН, ЛНЧ), and private contacts with ``LETOPIS_REDACT_CONTACTS=1``, are
    masked first, in the text, title, metadata and tables, so no text, snippet or record can
    carry them; ``redactions`` says where they were in the text.
    """
    doc, spans = redact_document(doc, contacts=REDACT_CONTACTS)
    record = add_confidence(extract_fields(doc))
    record["redactions"] = [{"kind": kind, "evidence": doc.evidence(start, end)} for start, end, kind in spans]
    return record


def extract_fields(doc: Document) -> dict:
    """Every field of the extraction contract, before confidences are attached."""
    doc_type, doc_type_confidence = classify_doc_type(doc)
    municipality, _ = extract_municipality(doc)
    dates = extract_dates(doc)
    amounts = extract_amounts(doc)
    return {
        "source": doc.source,
        "sha256": doc.sha256,
        "format": doc.format,
        "title": doc.title,
        "text": doc.text,
        "pages": doc.pages,
        "metadata": {**doc.metadata, "links": doc.links, "tables": [
            {"rows": t.rows, "start": t.start, "end": t.end, "page": t.page} for t in doc.tables]},
        "doc_type": doc_type,
        "doc_type_confidence": round(doc_type_confidence, 3),
        "municipality": municipality,
        "document_date": choose_document_date(doc, dates, doc_type),
        "dates": dates,
        "people": extract_people(doc),
        "attendance": extract_attendance(doc) if doc_type in MEETING_TYPES else None,
        "agenda_items": extract_agenda(doc),
        "decisions": extract_decisions(doc, doc_type),
        "amounts": amounts,
        "projects": extract_projects(doc, dates, municipality, amounts),
        "organizations": extract_organizations(doc),
        "extractor_version": EXTRACTOR_VERSION,
    }


def extract_file(path: str | Path) -> dict:
    """Read a file and extract it; raises ``ReadError`` when the file cannot be read."""
    return extract_document(read_document(path))


_WARM_UP_TEXT = (
    "ПРОТОКОЛ № 1\nот заседание на Общински съвет – Примерово, проведено на 14.10.2021 г.\n"
    "Присъстваха 11 от 13 общински съветници. Председател: инж. Петър Примеров.\n"
    "По т. 1 от дневния ред: РЕШЕНИЕ № 1. Одобрява разход от 1 200,50 лв. по проект BG16RFOP001-1.001-0001.\n"
    "Гласували: за – 11, против – 0, въздържали се – 0. Решението се приема.\n"
)


def warm_up() -> None:
    """Load every model, gazetteer and lazily imported reader once, in this process.

    A build calls it before forking its worker processes, so they start warm and share the
    loaded data copy-on-write instead of each paying for it on its first document.
    """
    import docx  # noqa: F401 - imported for its side effect of being loaded
    import pdfplumber  # noqa: F401
    import trafilatura  # noqa: F401

    from extract.readers.html import read_html_document
    from models.doctype.classifier import load as load_doctype_model

    load_doctype_model()
    page = f"<html><head><title>Примерово</title></head><body><article><p>{_WARM_UP_TEXT}</p></article></body></html>"
    read_html_document(Path("warm-up.html"), page.encode("utf-8"))
    extract_document(Document(text=_WARM_UP_TEXT, source="warm-up", sha256="0" * 64, format="txt"))
