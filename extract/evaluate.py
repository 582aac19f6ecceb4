"""Score extraction against gold files (format: GOLD_FORMAT.md v1): precision, recall and F1 per field.

Matching rules are those of the gold format. Single-valued fields (doc_type, municipality,
document_date) count a right answer as a true positive, including a right "none" (gold null,
prediction null); a wrong answer is a false positive (if something was predicted) and a false
negative (if the gold states a value). Scores are micro-averaged over documents.
"""
from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from rapidfuzz import fuzz

from extract.fields.common import fold, strip_quotes

AGENDA_SIMILARITY = 60
DECISION_SIMILARITY = 55
TEXT_FIELD_SIMILARITY = 85
FIELDS = ("doc_type", "municipality", "document_date", "dates", "people", "attendance", "agenda_items",
          "decisions", "decisions.votes", "decisions.outcome", "amounts", "amounts.role", "projects",
          "projects.title", "projects.programme", "projects.beneficiary", "projects.start", "projects.end")
_CYR_TO_LAT = str.maketrans("АВСЕНКМОРТХ", "ABCEHKMOPTX")


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, other: "Counts") -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class DocumentScore:
    name: str
    counts: dict[str, Counts] = field(default_factory=lambda: defaultdict(Counts))
    errors: list[str] = field(default_factory=list)


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def score_single(gold, predicted) -> Counts:
    """A single-valued field: gold may be a value, a list of acceptable values, or null."""
    acceptable = [fold(str(v)) for v in _as_list(gold) if v is not None]
    if predicted is None:
        return Counts(tp=1) if not acceptable else Counts(fn=1)
    if fold(str(predicted)) in acceptable:
        return Counts(tp=1)
    return Counts(fp=1, fn=1 if acceptable else 0)


def score_sets(gold: Iterable[str], predicted: Iterable[str]) -> Counts:
    """Exact values, each once."""
    gold_set, predicted_set = set(gold), set(predicted)
    return Counts(tp=len(gold_set & predicted_set), fp=len(predicted_set - gold_set), fn=len(gold_set - predicted_set))


def _first_last(name: str) -> tuple[str, str]:
    words = " ".join(name.casefold().split()).split(" ")
    return words[0], words[-1]


def match_person(gold: list, name: str) -> int | None:
    """Index of the gold person whose alias has the same first and last word as ``name``."""
    key = _first_last(name)
    return next((i for i, item in enumerate(gold) if key in [_first_last(a) for a in _as_list(item)]), None)


def score_people(gold: list, predicted: list[str]) -> tuple[Counts, list[str]]:
    """A prediction matches a gold person when first and last words agree with any alias."""
    matched, counts, errors = set(), Counts(), []
    for name in dict.fromkeys(predicted):
        hit = match_person(gold, name)
        if hit is None:
            counts.fp += 1
            errors.append(f"people: extra {name!r}")
        elif hit not in matched:
            matched.add(hit)
            counts.tp += 1
    for i, item in enumerate(gold):
        if i not in matched:
            counts.fn += 1
            errors.append(f"people: missed {item!r}")
    return counts, errors


def _similarity(a: str, b: str) -> float:
    return fuzz.token_set_ratio(fold(a), fold(b))


def match_agenda(gold: list[str], predicted: list[str]) -> set[int]:
    """Indices of predicted items matched to gold items by text similarity, in order."""
    matched, cursor = set(), 0
    for item in gold:
        for j in range(cursor, len(predicted)):
            if fuzz.ratio(fold(item), fold(predicted[j])) >= AGENDA_SIMILARITY or \
                    _similarity(item, predicted[j]) >= 90:
                matched.add(j)
                cursor = j + 1
                break
    return matched


def score_agenda(gold: list[str], predicted: list[str]) -> Counts:
    """Items matched by text similarity, in order."""
    tp = len(match_agenda(gold, predicted))
    return Counts(tp=tp, fp=len(predicted) - tp, fn=len(gold) - tp)


def _number(value) -> str | None:
    return None if value is None else re.sub(r"\D.*$", "", str(value).strip()) or str(value)


def match_decisions(gold: list[dict], predicted: list[dict]) -> list[tuple[dict, dict | None]]:
    """Pair gold decisions with predictions: by number where the gold has one, else by text similarity."""
    used, pairs = set(), []
    for item in gold:
        hit = None
        if item.get("number") is not None:
            hit = next((j for j, p in enumerate(predicted) if j not in used and _number(p.get("number")) == _number(item["number"])), None)
        else:
            scored = [(_similarity(item.get("text", ""), p.get("text") or ""), j) for j, p in enumerate(predicted)
                      if j not in used and p.get("number") is None]
            scored = [s for s in scored if s[0] >= DECISION_SIMILARITY]
            hit = max(scored)[1] if scored else None
        if hit is not None:
            used.add(hit)
        pairs.append((item, predicted[hit] if hit is not None else None))
    return pairs


def _field_counts(gold_value, predicted_value) -> Counts:
    if predicted_value == gold_value:
        return Counts(tp=1)
    return Counts(fn=1, fp=0 if predicted_value is None else 1)


def score_decisions(gold: list[dict], predicted: list[dict], errors: list[str]) -> dict[str, Counts]:
    """Decision matching, then votes and outcome field by field on the matched ones."""
    result = defaultdict(Counts)
    pairs = match_decisions(gold, predicted)
    matched = sum(1 for _, p in pairs if p is not None)
    result["decisions"] = Counts(tp=matched, fp=len(predicted) - matched, fn=len(gold) - matched)
    for item, hit in pairs:
        if hit is None:
            errors.append(f"decisions: missed {item.get('number')} {item.get('text', '')[:60]!r}")
            continue
        for key in ("votes_for", "votes_against", "votes_abstained"):
            if key in item:
                counts = _field_counts(item[key], hit.get(key))
                result["decisions.votes"].add(counts)
                if counts.fn:
                    errors.append(f"decisions {item.get('number')}: {key} gold {item[key]} got {hit.get(key)}")
        if "outcome" in item:
            counts = _field_counts(item["outcome"], hit.get("outcome"))
            result["decisions.outcome"].add(counts)
            if counts.fn:
                errors.append(f"decisions {item.get('number')}: outcome gold {item['outcome']} got {hit.get('outcome')}")
    matched_ids = {id(p) for _, p in pairs if p is not None}
    for p in predicted:
        if id(p) not in matched_ids:
            errors.append(f"decisions: extra {p.get('number')} {(p.get('text') or '')[:60]!r}")
    return result


def match_one_to_one(gold: list[dict], predicted: list[dict], same: Callable[[dict, dict], bool]) -> list[int | None]:
    """For each gold item, the first unused prediction that ``same`` accepts (or None)."""
    used, hits = set(), []
    for item in gold:
        hit = next((j for j, p in enumerate(predicted) if j not in used and same(item, p)), None)
        if hit is not None:
            used.add(hit)
        hits.append(hit)
    return hits


def match_amounts(gold: list[dict], predicted: list[dict]) -> list[int | None]:
    """For each gold amount, the predicted one with its currency and value within 0.01 (each used once)."""
    return match_one_to_one(gold, predicted, lambda g, p: p.get("currency") == g["currency"]
                            and abs(float(p["value"]) - float(g["value"])) < 0.01)


def score_amounts(gold: list[dict], predicted: list[dict], errors: list[str]) -> dict[str, Counts]:
    """Same currency and value within 0.01; each gold amount matched once; roles scored on matches."""
    result = defaultdict(Counts)
    pairs = _count_matches(result["amounts"], predicted, match_amounts(gold, predicted), gold, errors,
                           lambda g: f"amounts: missed {g['value']} {g['currency']}",
                           lambda p: f"amounts: extra {p['value']} {p['currency']}")
    for item, hit in pairs:
        if item.get("role") is not None:
            counts = _field_counts(item["role"], hit.get("role"))
            result["amounts.role"].add(counts)
            if counts.fn:
                errors.append(f"amounts {item['value']}: role gold {item['role']} got {hit.get('role')}")
    return result


def _count_matches(counts: Counts, predicted: list[dict], hits: list[int | None], gold: list[dict], errors: list[str],
                   missed, extra) -> list[tuple[dict, dict]]:
    """Count one-to-one matches (hits[i] is the prediction matched to gold[i]); return the matched pairs."""
    pairs = []
    for item, hit in zip(gold, hits):
        if hit is None:
            counts.fn += 1
            errors.append(missed(item))
        else:
            counts.tp += 1
            pairs.append((item, predicted[hit]))
    used = {h for h in hits if h is not None}
    for j, p in enumerate(predicted):
        if j not in used:
            counts.fp += 1
            errors.append(extra(p))
    return pairs


def normalize_code(code: str) -> str:
    """Codes compare without spaces, upper-cased, Cyrillic look-alikes mapped to Latin."""
    return re.sub(r"\s", "", code).upper().translate(_CYR_TO_LAT).replace("–", "-").replace("—", "-")


def _canonical_programme(name: str) -> str:
    from extract.fields.projects import programme_in_text

    found = programme_in_text(name)
    return found[0] if found else fold(strip_quotes(name))


def _text_match(gold: str, predicted: str | None) -> bool:
    if not predicted:
        return False
    return fuzz.ratio(fold(strip_quotes(gold)).replace('"', ""), fold(strip_quotes(predicted)).replace('"', "")) >= TEXT_FIELD_SIMILARITY


def match_projects(gold: list[dict], predicted: list[dict]) -> list[int | None]:
    """For each gold project, the predicted one sharing a normalised code (each used once)."""
    def spellings(p: dict) -> set[str]:
        return {normalize_code(c) for c in [p.get("code") or ""] + list(p.get("contract_codes") or [])}

    return match_one_to_one(gold, predicted,
                            lambda g, p: bool({normalize_code(c) for c in _as_list(g["code"])} & spellings(p)))


def score_projects(gold: list[dict], predicted: list[dict], errors: list[str]) -> dict[str, Counts]:
    """Projects matched by code; title, programme, beneficiary, start and end scored on matches."""
    result = defaultdict(Counts)
    pairs = _count_matches(result["projects"], predicted, match_projects(gold, predicted), gold, errors,
                           lambda g: f"projects: missed {g['code']}", lambda p: f"projects: extra {p.get('code')}")
    for item, p in pairs:
        for key in ("title", "beneficiary"):
            if key in item:
                ok = _text_match(item[key], p.get(key))
                result[f"projects.{key}"].add(Counts(tp=1) if ok else Counts(fn=1, fp=1 if p.get(key) else 0))
                if not ok:
                    errors.append(f"projects.{key}: gold {item[key]!r} got {p.get(key)!r}")
        if "programme" in item:
            ok = bool(p.get("programme")) and _canonical_programme(item["programme"]) == _canonical_programme(p["programme"])
            result["projects.programme"].add(Counts(tp=1) if ok else Counts(fn=1, fp=1 if p.get("programme") else 0))
            if not ok:
                errors.append(f"projects.programme: gold {item['programme']!r} got {p.get('programme')!r}")
        for key in ("start", "end"):
            if key in item:
                counts = _field_counts(item[key], p.get(key))
                result[f"projects.{key}"].add(counts)
                if counts.fn:
                    errors.append(f"projects.{key}: gold {item[key]} got {p.get(key)}")
    return result


def score_document(name: str, gold: dict, predicted: dict) -> DocumentScore:
    """Every key the gold states, scored against one extracted document."""
    score = DocumentScore(name)
    c, errors = score.counts, score.errors
    for key in ("doc_type", "municipality", "document_date"):
        if key in gold:
            counts = score_single(gold[key], predicted.get(key))
            c[key].add(counts)
            if counts.fn or counts.fp:
                errors.append(f"{key}: gold {gold[key]!r} got {predicted.get(key)!r}")
    if "dates" in gold:
        predicted_dates = [d["value"] for d in predicted.get("dates", [])]
        c["dates"].add(score_sets(gold["dates"], predicted_dates))
        for missing in set(gold["dates"]) - set(predicted_dates):
            errors.append(f"dates: missed {missing}")
        for extra in set(predicted_dates) - set(gold["dates"]):
            errors.append(f"dates: extra {extra}")
    if "people" in gold:
        counts, people_errors = score_people(gold["people"], [p["name"] for p in predicted.get("people", [])])
        c["people"].add(counts)
        errors.extend(people_errors)
    if "attendance" in gold and gold["attendance"] is not None:
        got = predicted.get("attendance") or {}
        for key, value in gold["attendance"].items():
            counts = _field_counts(value, got.get(key))
            c["attendance"].add(counts)
            if counts.fn:
                errors.append(f"attendance.{key}: gold {value} got {got.get(key)}")
    if "agenda_items" in gold:
        predicted_items = [a["text"] for a in predicted.get("agenda_items", [])]
        counts = score_agenda(gold["agenda_items"], predicted_items)
        c["agenda_items"].add(counts)
        if counts.fp or counts.fn:
            errors.append(f"agenda_items: {counts.tp} matched of {len(gold['agenda_items'])} gold, {len(predicted_items)} predicted")
    if "decisions" in gold:
        for key, counts in score_decisions(gold["decisions"], predicted.get("decisions", []), errors).items():
            c[key].add(counts)
    if "amounts" in gold:
        for key, counts in score_amounts(gold["amounts"], predicted.get("amounts", []), errors).items():
            c[key].add(counts)
    if "projects" in gold:
        for key, counts in score_projects(gold["projects"], predicted.get("projects", []), errors).items():
            c[key].add(counts)
    return score


def find_document(corpus_dirs: list[Path], stem: str) -> Path | None:
    """The corpus file whose name (without extension) is ``stem``."""
    for directory in corpus_dirs:
        for candidate in sorted(directory.rglob(f"{stem}.*")):
            if candidate.is_file() and candidate.suffix != ".json":
                return candidate
    return None


def load_splits(path: Path) -> dict[str, list[str]]:
    """Split name → glob patterns over gold file stems (``corpus/splits.json``)."""
    if not path.exists():
        return {}
    return json.loads(path.read_text(encoding="utf-8")).get("splits", {})


def in_split(stem: str, patterns: list[str]) -> bool:
    """True when a gold file stem matches one of a split's patterns."""
    return any(Path(stem).match(pattern) for pattern in patterns)


def totals_of(documents: list[DocumentScore], names: set[str] | None = None) -> dict[str, Counts]:
    """Micro-averaged counts over the given documents (all when ``names`` is None)."""
    totals: dict[str, Counts] = defaultdict(Counts)
    for score in documents:
        if names is None or Path(score.name).stem in names:
            for key, counts in score.counts.items():
                totals[key].add(counts)
    return totals


def evaluate(gold_dir: Path, corpus_dirs: list[Path], extract: Callable[[Path], dict],
             only: str | None = None) -> tuple[dict[str, Counts], list[DocumentScore], list[str]]:
    """Score every gold file that has a document; returns totals, per-document scores and problems."""
    totals: dict[str, Counts] = defaultdict(Counts)
    documents, problems = [], []
    for gold_path in sorted(gold_dir.glob("*.json")):
        if only and not Path(gold_path.stem).match(only):
            continue
        document = find_document(corpus_dirs, gold_path.stem)
        if document is None:
            problems.append(f"{gold_path.name}: no document named {gold_path.stem}.* in the corpus")
            continue
        gold = json.loads(gold_path.read_text(encoding="utf-8"))
        try:
            predicted = extract(document)
        except Exception as error:  # a failing document scores as all misses, the run goes on
            problems.append(f"{document.name}: extraction failed: {error}")
            predicted = {}
        score = score_document(document.name, gold, predicted)
        documents.append(score)
        for key, counts in score.counts.items():
            totals[key].add(counts)
    return totals, documents, problems


def format_table(totals: dict[str, Counts], title: str = "") -> str:
    """A fixed-width table of P/R/F1 per field, with a micro-averaged 'all' row."""
    lines = [title] if title else []
    lines.append(f"{'field':<22}{'tp':>6}{'fp':>6}{'fn':>6}{'precision':>11}{'recall':>9}{'f1':>8}")
    overall = Counts()
    for key in FIELDS:
        if key not in totals:
            continue
        c = totals[key]
        overall.add(c)
        lines.append(f"{key:<22}{c.tp:>6}{c.fp:>6}{c.fn:>6}{c.precision:>11.3f}{c.recall:>9.3f}{c.f1:>8.3f}")
    lines.append(f"{'all (micro)':<22}{overall.tp:>6}{overall.fp:>6}{overall.fn:>6}{overall.precision:>11.3f}{overall.recall:>9.3f}{overall.f1:>8.3f}")
    return "\n".join(lines)
