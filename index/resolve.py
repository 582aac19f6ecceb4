"""Cross-document entity resolution: one person, one organisation, one project, one municipality.

Run at the end of ``letopis build`` (and by ``letopis resolve``). It reads the mention tables
(``people``, ``organization_mentions``, ``project_mentions``), groups mentions that refer to
the same thing, and rewrites the entity tables (``persons``, ``organizations``, ``projects``,
``project_documents``, ``municipalities``) and the mentions' link columns (``person_id``,
``organization_id``, ``project_id``) in one transaction. Entities are derived data: resolving
twice gives the same tables, and entity ids are stable across builds (they hash the entity's
scope and canonical name or code, not row numbers).

Cost stays near-linear: mentions are compared only inside blocks (people: municipality +
surname skeleton; organisations: legal form + first letters of the core + municipality for
local kinds; projects: the base code), and blocks are small.

People (the rules, in order; see ``README.md`` for the reasoning):

1. Within a block, full names with a middle name group when first and middle agree.
2. A two-word name joins the one three-word person with that first name; if there are several,
   the one in the same document; if that is still ambiguous, it stays a person of its own.
3. An initial (``К. Селска``) joins the one full-name person of its block whose first name
   starts with it and who appears within :data:`INITIAL_YEARS` years; else it stays apart.
4. Same-name people of different municipalities stay apart unless their documents share a
   project code.
"""
from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Iterable

import sqlite_utils

from extract.fields.common import fold
from extract.lexicon import municipalities

from .names import (LOCAL_KINDS, TRAILING_FUNCTION_WORDS, OrgName, PersonName, firsts_compatible, middles_compatible,
                    municipality_named, names_compatible, orgs_match, parse_org_name, parse_person_name, project_key)
from .schema import ENTITY_TABLES, RECORD_TABLES

INITIAL_YEARS = 4
"""How far apart in years an initial and a full name may appear and still be joined (a council term)."""


@dataclass
class Mention:
    """One mention as resolution sees it: where it is and the context that can link it."""

    id: str
    document_id: str
    text: str
    municipality: str | None
    year: int | None
    date: str | None
    projects: frozenset[str] = frozenset()
    extra: dict = field(default_factory=dict)


def stable_id(prefix: str, *parts: str | None) -> str:
    """A short id that depends only on ``parts`` (``p-3f2a…``), so addresses survive rebuilds."""
    digest = hashlib.sha1("|".join(p or "" for p in parts).encode("utf-8")).hexdigest()[:12]
    return f"{prefix}-{digest}"


class _Clusters:
    """Union-find over mention indexes."""

    def __init__(self, n: int):
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)

    def groups(self) -> dict[int, list[int]]:
        out: dict[int, list[int]] = defaultdict(list)
        for i in range(len(self.parent)):
            out[self.find(i)].append(i)
        return out


# ---------------------------------------------------------------------------------------------
# People

def _close_in_time(a: Mention, years: set[int]) -> bool:
    return a.year is None or not years or any(abs(a.year - y) <= INITIAL_YEARS for y in years)


def _resolve_block(indexes: list[int], mentions: list[Mention], names: list[PersonName], uf: _Clusters) -> None:
    """Rules 1–3 inside one (municipality, surname) block."""
    full3 = [i for i in indexes if names[i].is_full and names[i].middle and not names[i].middle_is_initial]
    full2 = [i for i in indexes if names[i].is_full and i not in set(full3)]
    initials = [i for i in indexes if not names[i].is_full]
    heads: list[int] = []  # one representative mention per person found so far

    def matching(i: int, candidates: Iterable[int], *, middle: bool = True) -> list[int]:
        return [h for h in candidates if names_compatible(names[h], names[i], middle=middle)]

    for i in full3:  # rule 1
        found = matching(i, heads)
        if found:
            uf.union(found[0], i)
        else:
            heads.append(i)
    three_word_heads = list(heads)
    two_word_heads: list[int] = []
    for i in full2:  # rule 2
        found = matching(i, three_word_heads)
        if len(found) > 1:
            same_doc = [h for h in found if any(mentions[m].document_id == mentions[i].document_id
                                                for m in _members(uf, h, full3))]
            found = same_doc
        if len(found) == 1:
            uf.union(found[0], i)
            continue
        key = matching(i, two_word_heads)  # unknown, or ambiguous between several people
        if key:
            uf.union(key[0], i)
        else:
            two_word_heads.append(i)
    persons = three_word_heads + two_word_heads
    years_of: dict[int, set[int]] = defaultdict(set)
    docs_of: dict[int, set[str]] = defaultdict(set)
    for i in full3 + full2:
        root = uf.find(i)
        if mentions[i].year:
            years_of[root].add(mentions[i].year)
        docs_of[root].add(mentions[i].document_id)
    initial_heads: list[int] = []
    for i in initials:  # rule 3
        found = {uf.find(h) for h in persons if names_compatible(names[i], names[h])}
        found = {r for r in found if _close_in_time(mentions[i], years_of[r])}
        if len(found) > 1:
            found = {r for r in found if mentions[i].document_id in docs_of[r]}
        if len(found) == 1:
            uf.union(next(iter(found)), i)
            continue
        same = [h for h in initial_heads if firsts_compatible(names[i], names[h])] if not found else []
        if same:
            uf.union(same[0], i)
        else:
            initial_heads.append(i)


def _members(uf: _Clusters, head: int, pool: list[int]) -> list[int]:
    root = uf.find(head)
    return [m for m in pool if uf.find(m) == root]


def cluster_people(mentions: list[Mention]) -> list[int]:
    """For each mention, the index of its person's first mention (the cluster representative).

    Mentions whose name cannot be parsed (a single word) are persons of their own.
    """
    names = [parse_person_name(m.text) for m in mentions]
    uf = _Clusters(len(mentions))
    blocks: dict[tuple[str | None, str], list[int]] = defaultdict(list)
    for i, name in enumerate(names):
        if name is not None:
            blocks[(mentions[i].municipality, name.surname_key)].append(i)
    for indexes in blocks.values():
        _resolve_block(indexes, mentions, names, uf)  # type: ignore[arg-type]
    _link_across_municipalities(mentions, names, uf)
    groups = uf.groups()
    return [min(groups[uf.find(i)]) for i in range(len(mentions))]


def _link_across_municipalities(mentions: list[Mention], names: list[PersonName | None], uf: _Clusters) -> None:
    """Rule 4: the same full name in two municipalities is one person only when a project links them."""
    by_name: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, name in enumerate(names):
        if name is not None and name.is_full:
            by_name[(name.surname_key, name.first)].append(i)
    for indexes in by_name.values():
        if len({mentions[i].municipality for i in indexes}) < 2:
            continue
        projects_of: dict[int, set[str]] = defaultdict(set)
        for i in indexes:
            projects_of[uf.find(i)] |= mentions[i].projects
        roots = list(projects_of)
        for a_pos, a in enumerate(roots):
            for b in roots[a_pos + 1:]:
                shared = projects_of[a] & projects_of[b]
                a_name = names[next(i for i in indexes if uf.find(i) == a)]
                b_name = names[next(i for i in indexes if uf.find(i) == b)]
                if shared and middles_compatible(a_name, b_name):  # type: ignore[arg-type]
                    uf.union(a, b)


def canonical_person_name(texts: list[str]) -> str:
    """The name a person's page shows: the most complete Cyrillic spelling, most frequent first."""
    def score(text: str) -> tuple:
        name = parse_person_name(text)
        cyrillic = any("\u0400" <= c <= "\u04ff" for c in text)
        words = len(text.split())
        return (cyrillic, bool(name and name.is_full), words, counts[text])
    counts = Counter(texts)
    best = max(sorted(counts), key=score)
    return best.title() if best.isupper() else best


# ---------------------------------------------------------------------------------------------
# Organisations

def org_scope(org: OrgName, kind: str | None, municipality: str | None) -> str | None:
    """Where an organisation's name is unique: its municipality for local kinds, else the country."""
    named = municipality_named(org)
    if named:
        return named
    return municipality if (kind in LOCAL_KINDS or not org.form) else None


def cluster_organizations(mentions: list[Mention]) -> tuple[list[int], list[OrgName], list[str | None]]:
    """For each mention, its organisation's representative index; also the parsed names and scopes."""
    orgs = [parse_org_name(m.text) for m in mentions]
    scopes = [org_scope(o, m.extra.get("kind"), m.municipality) for o, m in zip(orgs, mentions)]
    uf = _Clusters(len(mentions))
    blocks: dict[tuple, list[int]] = defaultdict(list)
    for i, org in enumerate(orgs):
        blocks[(scopes[i], org.block)].append(i)
    for indexes in blocks.values():
        heads: list[int] = []
        for i in indexes:
            found = next((h for h in heads if orgs_match(orgs[h], orgs[i])), None)
            if found is None:
                heads.append(i)
            else:
                uf.union(found, i)
    groups = uf.groups()
    return [min(groups[uf.find(i)]) for i in range(len(mentions))], orgs, scopes


# ---------------------------------------------------------------------------------------------
# Reading mentions and writing entities

def _document_context(db: sqlite_utils.Database) -> tuple[dict[str, dict], dict[str, frozenset[str]]]:
    documents = {row["id"]: row for row in db.query("select id, municipality, document_date, year from documents")}
    projects_by_doc: dict[str, set[str]] = defaultdict(set)
    for row in db.query(f"select document_id, code from {RECORD_TABLES['projects'].name}"):
        if row["code"]:
            projects_by_doc[row["document_id"]].add(project_key(row["code"]))
    return documents, {k: frozenset(v) for k, v in projects_by_doc.items()}


def _mention(row: dict, text_column: str, documents: dict[str, dict], projects: dict[str, frozenset[str]],
             **extra) -> Mention:
    doc = documents.get(row["document_id"], {})
    return Mention(id=row["id"], document_id=row["document_id"], text=row[text_column] or "",
                   municipality=doc.get("municipality"), year=doc.get("year"), date=doc.get("document_date"),
                   projects=projects.get(row["document_id"], frozenset()), extra=extra)


def _seen(mentions: list[Mention]) -> tuple[str | None, str | None]:
    dates = sorted(m.date for m in mentions if m.date)
    return (dates[0], dates[-1]) if dates else (None, None)


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _groups(mentions: list[Mention], heads: list[int]) -> list[tuple[int, list[Mention]]]:
    """Mentions grouped by their cluster representative, ordered by each representative's id."""
    members: dict[int, list[Mention]] = defaultdict(list)
    for mention, head in zip(mentions, heads):
        members[head].append(mention)
    return [(head, members[head]) for head in sorted(members, key=lambda h: mentions[h].id)]


def _settle_ids(entities: list[dict], groups: list[tuple[int, list[Mention]]]) -> dict[str, str]:
    """Make entity ids unique (a rare hash collision gets ``-2``) and map every mention id to its entity's."""
    seen: Counter = Counter()
    for entity in entities:
        seen[entity["id"]] += 1
        if seen[entity["id"]] > 1:
            entity["id"] = f"{entity['id']}-{seen[entity['id']]}"
    return {m.id: entity["id"] for entity, (_, group) in zip(entities, groups) for m in group}


def person_rows(db: sqlite_utils.Database, documents, projects) -> tuple[list[dict], dict[str, str]]:
    """The ``persons`` rows and the person id of every ``people`` mention."""
    rows = list(db.query(f"select id, document_id, name, title, role from {RECORD_TABLES['people'].name} order by id"))
    mentions = [_mention(r, "name", documents, projects, title=r["title"], role=r["role"]) for r in rows]
    groups = _groups(mentions, cluster_people(mentions))
    entities = []
    region = {m["name"]: m["region"] for m in municipalities()}
    for _, group in groups:
        name = canonical_person_name([m.text for m in group])
        places = sorted({m.municipality for m in group if m.municipality})
        first, last = _seen(group)
        entities.append({
            "id": stable_id("p", "|".join(places), name),
            "name": name,
            "aliases": _json(sorted({m.text for m in group})),
            "municipality": places[0] if len(places) == 1 else None,
            "municipalities": _json(places),
            "region": region.get(places[0]) if len(places) == 1 else None,
            "titles": _json(sorted({m.extra["title"] for m in group if m.extra.get("title")})),
            "roles": _json(sorted({m.extra["role"] for m in group if m.extra.get("role")})),
            "mentions": len(group),
            "documents": len({m.document_id for m in group}),
            "first_seen": first,
            "last_seen": last,
        })
    return entities, _settle_ids(entities, groups)


def organization_rows(db: sqlite_utils.Database, documents, projects) -> tuple[list[dict], dict[str, str]]:
    """The ``organizations`` rows and the organisation id of every organisation mention."""
    rows = list(db.query(f"select id, document_id, name, kind from {RECORD_TABLES['organizations'].name} order by id"))
    mentions = [_mention(r, "name", documents, projects, kind=r["kind"]) for r in rows]
    heads, orgs, scopes = cluster_organizations(mentions)
    groups = _groups(mentions, heads)
    entities = []
    for head, group in groups:
        counts = Counter(m.text for m in group)
        name = max(sorted(counts), key=lambda t: (t.split()[-1].lower() not in TRAILING_FUNCTION_WORDS, counts[t],
                                                  any(q in t for q in "„“\""), len(t)))
        named = municipality_named(orgs[head])
        first, last = _seen(group)
        entities.append({
            "id": stable_id("o", scopes[head], orgs[head].form, orgs[head].core),
            "name": f"Община {named}" if named and orgs[head].form == "община" else name,
            "kind": Counter(m.extra.get("kind") for m in group).most_common(1)[0][0],
            "legal_form": orgs[head].form or None,
            "municipality": named or scopes[head],
            "aliases": _json(sorted(counts)),
            "mentions": len(group),
            "documents": len({m.document_id for m in group}),
            "first_seen": first,
            "last_seen": last,
        })
    return entities, _settle_ids(entities, groups)


def _normalized_title(title: str) -> str:
    return " ".join(fold(title).replace('"', " ").split())


def project_rows(db: sqlite_utils.Database, documents) -> tuple[list[dict], dict[str, str], list[dict]]:
    """The ``projects`` rows, the project id of every project mention, and ``project_documents``.

    A document is linked to a project when it writes the project's code (in any damaged form the
    extractor repairs, or as a contract ``-Cxx``), or, without the code, the project's full title.
    """
    table = RECORD_TABLES["projects"].name
    rows = list(db.query(f"select * from {table} order by id"))
    by_key: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        if row["code"]:
            by_key[project_key(row["code"])].append(row)
    entities, links, doc_links = [], {}, []
    titles: dict[str, str] = {}
    for key in sorted(by_key):
        group = sorted(by_key[key], key=lambda r: (documents.get(r["document_id"], {}).get("document_date") or "", r["id"]))
        def most_common(column: str):
            values = Counter(r[column] for r in group if r[column])
            return max(sorted(values), key=lambda v: (values[v], len(str(v)))) if values else None
        contract_codes = sorted({c for r in group for c in json.loads(r["contract_codes"] or "[]")})
        totals = [r["total_eur"] for r in group if r["total_eur"] is not None]
        title = most_common("title")
        dates = sorted(documents.get(r["document_id"], {}).get("document_date") or "" for r in group)
        dates = [d for d in dates if d]
        entities.append({
            "id": key,
            "code": key,
            "contract_codes": _json(contract_codes),
            "title": title,
            "programme": most_common("programme"),
            "beneficiary": most_common("beneficiary"),
            "municipality": most_common("municipality"),
            "start": most_common("start"),
            "end": group[-1]["end"] or most_common("end"),
            "total_eur": totals[-1] if totals else None,
            "totals_stated": len(set(round(t, 0) for t in totals)),
            "mentions": len(group),
            "documents": len({r["document_id"] for r in group}),
            "first_seen": dates[0] if dates else None,
            "last_seen": dates[-1] if dates else None,
        })
        for r in group:
            links[r["id"]] = key
        for doc_id in sorted({r["document_id"] for r in group}):
            doc_links.append({"project_id": key, "document_id": doc_id, "link": "code"})
        if title and len(title.split()) >= 5:
            titles[key] = _normalized_title(title)
    linked = {(d["project_id"], d["document_id"]) for d in doc_links}
    if titles:  # texts are streamed one at a time, never held all at once
        by_inner_words = _titles_by_inner_words(titles)
        order = {key: n for n, key in enumerate(titles)}
        for doc in db.query("select id, text from documents order by id"):
            text = _normalized_title(doc["text"] or "")
            words = text.split(" ")
            candidates = {key for i in range(len(words) - 2)
                          for key in by_inner_words.get((words[i], words[i + 1], words[i + 2]), ())}
            for key in sorted(candidates, key=order.__getitem__):
                if (key, doc["id"]) not in linked and titles[key] in text:
                    doc_links.append({"project_id": key, "document_id": doc["id"], "link": "title"})
    return entities, links, doc_links


def _titles_by_inner_words(titles: dict[str, str]) -> dict[tuple[str, str, str], list[str]]:
    """Project keys by the 2nd to 4th words of their title (titles have at least five words).

    Words inside a title are whole words wherever the title occurs in a text (only its first and
    last word may be cut from longer ones), so a document can only contain titles whose three
    inner words it has in a row: looking those up replaces trying every title on every document,
    which grew with documents × projects.
    """
    index: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for key, title in titles.items():
        words = title.split(" ")
        index[(words[1], words[2], words[3])].append(key)
    return index


def municipality_rows(db: sqlite_utils.Database) -> list[dict]:
    """All 265 municipalities with region and administrative centre, and how many documents each has.

    Two municipalities are called Бяла (Русе and Варна regions): their ids carry the region, and
    their document counts are left empty because a bare ``Бяла`` cannot say which one it is.
    """
    counts = {r["municipality"]: r["n"] for r in db.query(
        "select municipality, count(*) n from documents where municipality is not null group by municipality")}
    names = Counter(m["name"] for m in municipalities())
    return [{"id": m["name"] if names[m["name"]] == 1 else f"{m['name']} ({m['region']})",
             "name": m["name"], "region": m["region"], "centre": m["centre"],
             "documents": counts.get(m["name"], 0) if names[m["name"]] == 1 else None}
            for m in municipalities()]


def resolve(db: sqlite_utils.Database) -> dict[str, int]:
    """Resolve every mention in ``db`` and rewrite the entity tables and link columns, atomically.

    Returns the number of entities per table.
    """
    documents, projects = _document_context(db)
    persons, person_links = person_rows(db, documents, projects)
    organizations, org_links = organization_rows(db, documents, projects)
    project_entities, project_links, project_docs = project_rows(db, documents)
    places = municipality_rows(db)
    with db.atomic():
        for kind, column in (("people", "person_id"), ("organizations", "organization_id"), ("projects", "project_id")):
            db.execute(f"update {RECORD_TABLES[kind].name} set {column} = null where {column} is not null")
        tables = {"municipalities": places, "projects": project_entities, "organizations": organizations,
                  "persons": persons, "project_documents": project_docs}  # parents before children
        for name in reversed(tables):
            db[name].delete_where()
        for name, rows in tables.items():
            if rows:
                db[name].insert_all(rows, pk=ENTITY_TABLES[name].pk)
        for kind, column, links in (("people", "person_id", person_links),
                                    ("organizations", "organization_id", org_links),
                                    ("projects", "project_id", project_links)):
            db.conn.executemany(f"update {RECORD_TABLES[kind].name} set {column} = ? where id = ?",
                                [(entity, mention) for mention, entity in sorted(links.items())])
    return {"persons": len(persons), "organizations": len(organizations), "projects": len(project_entities),
            "municipalities": len(places)}
