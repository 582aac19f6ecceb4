"""The extraction contract: the shape of one extracted document (the product's API).

``letopis extract`` prints one ``ExtractedDocument`` per file; ``letopis build`` loads the same
objects into SQLite. Every list item carries ``evidence`` with ``text == document_text[start:end]``.
"""
from __future__ import annotations

from typing import Literal, TypedDict

DOC_TYPES = ("protocol", "decision", "agenda", "press_release", "project_page", "report", "announcement", "other")
DATE_ROLES = ("meeting", "published", "updated", "start", "end", "signed", "deadline", "reference", "other")
AMOUNT_ROLES = ("total", "eu", "national", "own", "other")
ORG_KINDS = ("municipality", "council", "association", "foundation", "company", "school", "ministry", "other")
BGN_PER_EUR = 1.95583


class Evidence(TypedDict):
    start: int
    end: int
    page: int
    text: str


class Provenance(TypedDict):
    """Every record also says how it was found and how often that way is right."""

    method: str
    confidence: float


class DateItem(Provenance):
    value: str
    role: str
    evidence: Evidence


class PersonItem(Provenance):
    name: str
    title: str | None
    role: str | None
    organization: str | None
    evidence: Evidence


class Attendance(Provenance):
    present: int | None
    absent: int | None
    total: int | None
    evidence: Evidence


class AgendaItem(Provenance):
    number: str | None
    text: str
    evidence: Evidence


class DecisionItem(Provenance):
    number: str | None
    text: str
    outcome: Literal["adopted", "rejected"] | None
    votes_for: int | None
    votes_against: int | None
    votes_abstained: int | None
    evidence: Evidence


class AmountItem(Provenance):
    value: float
    currency: Literal["BGN", "EUR"]
    value_eur: float
    role: str | None
    evidence: Evidence


class ProjectItem(Provenance):
    code: str | None
    contract_codes: list[str]
    procedure: str | None
    title: str | None
    programme: str | None
    beneficiary: str | None
    partners: list[str]
    start: str | None
    end: str | None
    duration_months: int | None
    currency: Literal["BGN", "EUR"] | None
    total: float | None
    eu: float | None
    national: float | None
    own: float | None
    total_eur: float | None
    evidence: Evidence


class OrganizationItem(Provenance):
    name: str
    kind: str
    evidence: Evidence


class RedactionItem(TypedDict):
    kind: Literal["egn", "lnch", "email", "phone"]
    evidence: Evidence


class ExtractedDocument(TypedDict, total=False):
    source: str
    sha256: str
    format: str
    title: str | None
    text: str
    pages: list[int]
    metadata: dict
    doc_type: str
    doc_type_confidence: float
    municipality: str | None
    document_date: str | None
    dates: list[DateItem]
    people: list[PersonItem]
    attendance: Attendance | None
    agenda_items: list[AgendaItem]
    decisions: list[DecisionItem]
    amounts: list[AmountItem]
    projects: list[ProjectItem]
    organizations: list[OrganizationItem]
    redactions: list[RedactionItem]
    extractor_version: str


RECORD_KINDS = ("dates", "people", "agenda_items", "decisions", "amounts", "projects", "organizations")
