"""The spaCy side of letopis: a ``spacy.blank("bg")`` pipeline with a gazetteer component.

There is no trained Bulgarian spaCy pipeline to load, so the pipeline is a tokenizer plus
``letopis_gazetteers``: a PhraseMatcher over the data files in ``models/gazetteer`` (titles,
role phrases, organisation legal forms). Its contract: after it runs, ``doc.spans["gazetteer"]``
holds every match, overlaps allowed, each span labelled TITLE, ROLE or ORG_FORM with
``span.kb_id_`` set to the gazetteer entry it matched. Extractors read those spans through
``gazetteer_hits`` instead of looping over hundreds of phrases per candidate.

The tokenizer is :class:`WordTokenizer`, not spaCy's Bulgarian one: the matcher only needs
text and gazetteer phrases cut the same way, and spaCy's prefix/suffix/infix rules cost more
than every field extractor together (3 ms of a 9 ms page).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import spacy
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, SpanGroup

from extract.lexicon import legal_forms, roles, titles

SPAN_KEY = "gazetteer"
# Definite and vocative endings of a role's head noun: "кметът", "председателят", "председателя".
_HEAD_ENDINGS = ("ът", "ят", "а", "я", "та")


def _role_variants(phrase: str) -> list[str]:
    head, _, rest = phrase.partition(" ")
    variants = [phrase]
    if head.replace("-", "").isalpha():
        variants += [f"{head}{ending} {rest}".strip() for ending in _HEAD_ENDINGS]
    return variants


def gazetteer_entries() -> dict[str, dict[str, str]]:
    """label → {phrase as matched: canonical entry}."""
    entries: dict[str, dict[str, str]] = {"TITLE": {}, "ROLE": {}, "ORG_FORM": {}}
    for title in titles():
        entries["TITLE"][title] = title
    for row in roles():
        for variant in _role_variants(row["role"].lower()):
            entries["ROLE"].setdefault(variant, row["role"])
    for row in legal_forms():
        entries["ORG_FORM"][row["form"].lower()] = row["form"]
    return entries


class WordTokenizer:
    """Words (runs of letters and digits) and single punctuation marks as tokens, so ``д-р`` is
    three tokens in the text and in the gazetteer alike; any whitespace other than one space becomes a token of its own,
    so ``doc.text`` is exactly the input and character offsets need no mapping."""

    # A word or mark with the single space that follows it (when more text follows), or a run of
    # other whitespace: one findall yields each token with its trailing-space flag.
    PIECES = re.compile(r"(\w+|\S)( (?=\S))?|(\s+)")

    def __init__(self, vocab):
        self.vocab = vocab

    def __call__(self, text: str) -> Doc:
        pieces = self.PIECES.findall(text)
        words = [word or blank for word, _, blank in pieces]
        spaces = [space == " " for _, space, _ in pieces]
        return Doc(self.vocab, words=words, spaces=spaces)

    def pipe(self, texts, batch_size: int = 1000):
        for text in texts:
            yield self(text)


@Language.factory("letopis_gazetteers")
class GazetteerMatcher:
    """Marks every gazetteer phrase in ``doc.spans["gazetteer"]`` (case-insensitive, overlaps kept)."""

    def __init__(self, nlp: Language, name: str):
        self.name = name
        self.matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
        self.canonical: dict[str, dict[str, str]] = gazetteer_entries()
        for label, phrases in self.canonical.items():
            self.matcher.add(label, list(nlp.tokenizer.pipe(sorted(phrases))))

    def __call__(self, doc: Doc) -> Doc:
        spans = self.matcher(doc, as_spans=True)
        for span in spans:
            text = span.text.lower()
            span.kb_id_ = self.canonical[span.label_].get(text, text)
        doc.spans[SPAN_KEY] = SpanGroup(doc, name=SPAN_KEY, spans=spans)
        return doc


@lru_cache(maxsize=1)
def pipeline() -> Language:
    """The shared pipeline: word tokenizer + gazetteer matcher."""
    nlp = spacy.blank("bg")
    nlp.tokenizer = WordTokenizer(nlp.vocab)
    # Only the tokenizer and a PhraseMatcher run, so long documents cost little memory per character.
    nlp.max_length = 50_000_000
    nlp.add_pipe("letopis_gazetteers")
    return nlp


@dataclass(frozen=True)
class GazetteerHit:
    """One gazetteer match, by character offsets into the text."""

    label: str
    start: int
    end: int
    text: str
    entry: str


@lru_cache(maxsize=4)
def gazetteer_hits(text: str) -> tuple[GazetteerHit, ...]:
    """Every gazetteer match in ``text``, ordered by start (cached: extractors share one pass)."""
    doc = pipeline()(text)
    hits = []
    for span in doc.spans[SPAN_KEY]:
        start, end = span.start_char, span.end_char
        hits.append(GazetteerHit(span.label_, start, end, text[start:end], span.kb_id_))
    return tuple(sorted(hits, key=lambda h: (h.start, -h.end)))


@lru_cache(maxsize=4)
def _hit_index(text: str) -> tuple[dict, dict]:
    """(label, start) → hits and (label, end) → hits, longest first, for constant-time lookups."""
    by_start: dict[tuple[str, int], list[GazetteerHit]] = {}
    by_end: dict[tuple[str, int], list[GazetteerHit]] = {}
    for hit in gazetteer_hits(text):
        by_start.setdefault((hit.label, hit.start), []).append(hit)
        by_end.setdefault((hit.label, hit.end), []).append(hit)
    for hits in by_start.values():
        hits.sort(key=lambda h: -h.end)
    for hits in by_end.values():
        hits.sort(key=lambda h: h.start)
    return by_start, by_end


def hits_starting_at(text: str, position: int, label: str) -> list[GazetteerHit]:
    """Matches of ``label`` that start exactly at ``position``, longest first."""
    return _hit_index(text)[0].get((label, position), [])


def hits_ending_at(text: str, position: int, label: str) -> list[GazetteerHit]:
    """Matches of ``label`` that end exactly at ``position``, longest first."""
    return _hit_index(text)[1].get((label, position), [])
