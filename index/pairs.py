"""Labelled mention pairs for entity resolution: proposing candidates and scoring the resolver.

The labelling loop (in the manner of parserator; see ``corpus/resolution/README.md``):

1. ``letopis pairs-candidates --db letopis.db --out todo.jsonl`` proposes pairs of mentions that a
   resolver could confuse (same surname skeleton, similar organisation names, similar codes) plus
   some random pairs, each with the two mentions' contexts. It never shows the resolver's answer.
2. A person reads both contexts and sets ``"same": true`` or ``false`` (or drops the pair when the
   text cannot tell), and appends the pair to ``corpus/resolution/pairs.jsonl``.
3. ``letopis evaluate-resolution`` prints pairwise precision and recall of the resolver on them.

A mention is addressed by its document's file name, the evidence start offset and its text,
so labels survive rebuilds and re-extraction as long as the document's text does not change.
"""
from __future__ import annotations

import json
import random
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import sqlite_utils
from rapidfuzz import fuzz

from .names import parse_org_name, parse_person_name, project_key
from .schema import RECORD_TABLES

KINDS = {"person": ("people", "name", "person_id"),
         "organization": ("organizations", "name", "organization_id"),
         "project": ("projects", "code", "project_id")}


@dataclass(frozen=True)
class MentionRef:
    """Where a mention is: document file name, evidence start, and the text as written."""

    document: str
    start: int
    text: str

    def as_json(self) -> dict:
        return {"document": self.document, "start": self.start, "text": self.text}


def _mentions(db: sqlite_utils.Database, kind: str, *, with_text: bool = False) -> list[dict]:
    """The mentions of one kind with their document's path; ``with_text`` adds the document's
    text (``doc_text``), which only proposing pairs needs, for the contexts."""
    table, column, link = KINDS[kind]
    doc_text = ", d.text as doc_text" if with_text else ""
    return list(db.query(
        f"select m.id, m.{column} as value, m.evidence_start, m.evidence_end, m.evidence_text, m.{link} as entity, "
        f"d.path, d.municipality, d.document_date{doc_text} from {RECORD_TABLES[table].name} m "
        f"join documents d on d.id = m.document_id where m.{column} is not null order by d.path, m.evidence_start"))


def _ref(row: dict) -> MentionRef:
    return MentionRef(PurePosixPath(row["path"]).name, row["evidence_start"], row["evidence_text"])


def _context(row: dict, width: int = 200) -> str:
    text, start, end = row["doc_text"], row["evidence_start"], row["evidence_end"]
    return f"{text[max(0, start - width):start]}[[{text[start:end]}]]{text[end:end + width]}".replace("\n", " ")


def _similar(kind: str, a: dict, b: dict) -> bool:
    if kind == "person":
        na, nb = parse_person_name(a["value"]), parse_person_name(b["value"])
        if not na or not nb:
            return False
        return na.surname_key == nb.surname_key or (
            na.first[:1] == nb.first[:1] and fuzz.ratio(na.surname_key, nb.surname_key) >= 80)
    if kind == "organization":
        oa, ob = parse_org_name(a["value"]), parse_org_name(b["value"])
        return bool(oa.core and ob.core) and fuzz.ratio(oa.core, ob.core) >= 70
    return fuzz.ratio(project_key(a["value"]), project_key(b["value"])) >= 85


def candidate_pairs(db: sqlite_utils.Database, per_kind: dict[str, int], seed: int = 0) -> list[dict]:
    """Unlabelled pairs to label: similar-looking mentions first, a tenth random pairs.

    Pairs inside one document are kept only when the two texts differ (``К. Селска`` and the
    full name), since a name repeated verbatim in one document is trivially one person.
    """
    rng = random.Random(seed)
    out = []
    for kind, wanted in per_kind.items():
        rows = _mentions(db, kind, with_text=True)
        similar = []
        for i, a in enumerate(rows):
            for b in rows[i + 1:]:
                if a["path"] == b["path"] and a["value"] == b["value"]:
                    continue
                if a["value"] == b["value"] and rng.random() < 0.7:
                    continue  # identical spellings are plentiful; keep some, favour the harder ones
                if _similar(kind, a, b):
                    similar.append((a, b))
        rng.shuffle(similar)
        chosen = similar[: int(wanted * 0.9)]
        while len(chosen) < wanted and len(rows) > 1:
            a, b = rng.sample(rows, 2)
            chosen.append((a, b))
        for a, b in chosen:
            out.append({"kind": kind, "a": {**_ref(a).as_json(), "municipality": a["municipality"],
                                             "date": a["document_date"], "context": _context(a)},
                        "b": {**_ref(b).as_json(), "municipality": b["municipality"],
                              "date": b["document_date"], "context": _context(b)},
                        "same": None})
    return out


def read_pairs(path: Path) -> list[dict]:
    """Labelled pairs from a JSON-lines file (blank lines and ``//`` comments skipped)."""
    pairs = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("//"):
            pairs.append(json.loads(line))
    return pairs


@dataclass
class PairScore:
    """Pairwise confusion counts of the resolver against labelled pairs, for one kind or all."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    missing: int = 0
    pairs: int = 0
    same: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


def _resolved(db: sqlite_utils.Database, pairs: list[dict]) -> list[tuple[dict, str | None, str | None]]:
    entity_of = {kind: {(PurePosixPath(r["path"]).name, r["evidence_start"]): r["entity"] for r in _mentions(db, kind)}
                 for kind in {p["kind"] for p in pairs}}
    return [(p, entity_of[p["kind"]].get((p["a"]["document"], p["a"]["start"])),
             entity_of[p["kind"]].get((p["b"]["document"], p["b"]["start"]))) for p in pairs]


def score_pairs(db: sqlite_utils.Database, pairs: list[dict]) -> dict[str, PairScore]:
    """Compare the resolved entity ids of each labelled pair with its label.

    A pair whose mention the database no longer has (the extractor stopped finding it) counts
    under ``missing`` and, when labelled same, as a miss.
    """
    scores: dict[str, PairScore] = defaultdict(PairScore)
    for pair, a, b in _resolved(db, pairs):
        for score in (scores[pair["kind"]], scores["all"]):
            score.pairs += 1
            score.same += bool(pair["same"])
            if a is None or b is None:
                score.missing += 1
                score.fn += bool(pair["same"])
                continue
            predicted = a == b
            if predicted and pair["same"]:
                score.tp += 1
            elif predicted:
                score.fp += 1
            elif pair["same"]:
                score.fn += 1
            else:
                score.tn += 1
    return dict(scores)


def wrong_pairs(db: sqlite_utils.Database, pairs: list[dict]) -> list[tuple[dict, str]]:
    """The pairs the resolver gets wrong, each with what it did (``same``, ``different``, ``missing``)."""
    wrong = []
    for pair, a, b in _resolved(db, pairs):
        if a is None or b is None:
            if pair["same"]:
                wrong.append((pair, "missing"))
        elif (a == b) != bool(pair["same"]):
            wrong.append((pair, "same" if a == b else "different"))
    return wrong


def format_scores(scores: dict[str, PairScore]) -> str:
    """The pairwise table ``letopis evaluate-resolution`` prints."""
    lines = [f"{'kind':14}{'pairs':>7}{'same':>6}{'tp':>5}{'fp':>5}{'fn':>5}{'tn':>5}{'miss':>6}"
             f"{'precision':>11}{'recall':>8}"]
    for kind in [k for k in (*KINDS, "all") if k in scores]:
        s = scores[kind]
        lines.append(f"{kind:14}{s.pairs:>7}{s.same:>6}{s.tp:>5}{s.fp:>5}{s.fn:>5}{s.tn:>5}{s.missing:>6}"
                     f"{s.precision:>11.3f}{s.recall:>8.3f}")
    return "\n".join(lines)
