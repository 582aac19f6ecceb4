"""Document type: heading rules first, then a scikit-learn text classifier trained in ``models/doctype``."""
from __future__ import annotations

import re

from extract.document import Document

_HEADING_RULES = [
    (re.compile(r"^\s*(?:ИЗВЛЕЧЕНИЕ|Извлечение)\s+(?:от|ОТ)\s+(?:протокол|ПРОТОКОЛ)", re.M), "decision"),
    (re.compile(r"^\s*П\s?Р\s?О\s?Т\s?О\s?К\s?О\s?Л\b|^\s*Протокол\s*(?:№|N|от\s)", re.M), "protocol"),
    (re.compile(r"^\s*Р\s?Е\s?Ш\s?Е\s?Н\s?И\s?Е\s*(?:№|N)|^\s*З\s?А\s?П\s?О\s?В\s?Е\s?Д\s*(?:№|N)|"
                r"^[ \t]*(?:Решение|Заповед)[ \t]*№[ \t]*\d+[^\n]{0,40}$", re.M), "decision"),
    (re.compile(r"^\s*(?:П\s?О\s?К\s?А\s?Н\s?А|Покана\s+за\s+(?:заседание|сесия)|(?:ПРОЕКТ\s+(?:ЗА|НА)\s+)?ДНЕВЕН\s+РЕД)", re.M), "agenda"),
    (re.compile(r"^\s*(?:О\s?Б\s?Я\s?В\s?Л\s?Е\s?Н\s?И\s?Е|С\s?Ъ\s?О\s?Б\s?Щ\s?Е\s?Н\s?И\s?Е|ОБЯВА|Обявление\b|Съобщение\b)", re.M), "announcement"),
    (re.compile(r"^\s*(?:О\s?Т\s?Ч\s?Е\s?Т|Д\s?О\s?К\s?Л\s?А\s?Д|АНАЛИЗ|Отчет\s+за|Доклад\s+за|Окончателен\s+доклад)\b", re.M), "report"),
]
HEAD_CHARS = 600


def rule_doc_type(text: str) -> str | None:
    """The type a document's own heading declares, if any (looks at the first lines only)."""
    head = text[:HEAD_CHARS]
    best = None
    for pattern, label in _HEADING_RULES:
        match = pattern.search(head)
        if match and (best is None or match.start() < best[0]):
            best = (match.start(), label)
    return best[1] if best else None


def classify_doc_type(doc: Document) -> tuple[str, float]:
    """(type, confidence): a heading rule gives 1.0; otherwise the trained classifier decides."""
    ruled = rule_doc_type(doc.text)
    if ruled:
        return ruled, 1.0
    from models.doctype.classifier import predict

    return predict(doc.text)
