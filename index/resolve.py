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

Memory is bounded by the largest block, not by the corpus: mentions are streamed from SQLite in
block order (SQLite's sorter spills to disk), each block is resolved on its own, and what links
blocks (the cluster of every mention that joined an earlier one, rule-4 facts, merges, entity id of
every mention) goes to TEMP tables. Names are parsed once per distinct name, and SQLite joins the
parsed names to the mentions. Entities are then streamed in the order of their first mention and
inserted in that order.
The only things held whole are the project titles index (it grows with projects, not documents)
and the few clusters rule 4 joins.

People (the rules, in order; see ``README.md`` for the reasoning):

1. Within a block, full names with a middle name group when first and middle agree.
2. A two-word name joins the one three-word person with that first name; if there are several,
   the one in the same document; if that is still ambiguous, it stays a person of its own.
3. An initial (``К. Селска``) joins the one full-name person of its block whose first name
   starts with it and who appears within :data:`INITIAL_YEARS` years; else it stays apart.
4. Same-name people of different municipalities stay apart unless their documents share a
   project code; a name without a middle name that would join two people whose middle names
   differ joins neither.
"""
from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import groupby
from operator import itemgetter
from typing import Callable, Hashable, Iterable, Iterator

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
    digest = hashlib.sha1("|".join([p or "" for p in parts]).encode("utf-8")).hexdigest()[:12]
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

def _close_in_time(year: int | None, years: set[int]) -> bool:
    return year is None or not years or any(abs(year - y) <= INITIAL_YEARS for y in years)


def _resolve_block(indexes: list[int], documents: list[str], years: list[int | None], names: list[PersonName],
                   uf: _Clusters) -> None:
    """Rules 1–3 inside one (municipality, surname) block; ``documents``, ``years`` and ``names``
    are the mentions' document ids, years and parsed names, by mention index."""
    full3: list[int] = []  # full names with a middle name
    full2: list[int] = []  # other full names
    initials: list[int] = []
    for i in indexes:
        name = names[i]
        if not name.is_full:
            initials.append(i)
        elif name.middle and not name.middle_is_initial:
            full3.append(i)
        else:
            full2.append(i)
    heads: list[int] = []  # one representative mention per person found so far

    def matching(i: int, candidates: Iterable[int]) -> list[int]:
        name = names[i]
        return [h for h in candidates if names_compatible(names[h], name)]

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
            same_doc = [h for h in found if any(documents[m] == documents[i] for m in _members(uf, h, full3))]
            found = same_doc
        if len(found) == 1:
            uf.union(found[0], i)
            continue
        key = matching(i, two_word_heads)  # unknown, or ambiguous between several people
        if key:
            uf.union(key[0], i)
        else:
            two_word_heads.append(i)
    if not initials:  # nothing for rule 3 to do
        return
    persons = three_word_heads + two_word_heads
    years_of: dict[int, set[int]] = defaultdict(set)
    docs_of: dict[int, set[str]] = defaultdict(set)
    for i in full3 + full2:
        root = uf.find(i)
        if years[i]:
            years_of[root].add(years[i])
        docs_of[root].add(documents[i])
    initial_heads: list[int] = []
    for i in initials:  # rule 3
        found = {uf.find(h) for h in persons if names_compatible(names[i], names[h])}
        found = {r for r in found if _close_in_time(years[i], years_of[r])}
        if len(found) > 1:
            found = {r for r in found if documents[i] in docs_of[r]}
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

    Mentions whose name cannot be parsed (a single word) are persons of their own. This is the
    in-memory form of what :func:`resolve` does block by block on a database.
    """
    names = [parse_person_name(m.text) for m in mentions]
    uf = _Clusters(len(mentions))
    blocks: dict[tuple[str | None, str], list[int]] = defaultdict(list)
    for i, name in enumerate(names):
        if name is not None:
            blocks[(mentions[i].municipality, name.surname_key)].append(i)
    documents, years = [m.document_id for m in mentions], [m.year for m in mentions]
    for indexes in blocks.values():
        _resolve_block(indexes, documents, years, names, uf)  # type: ignore[arg-type]
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
        _link_same_name([(i, names[i], mentions[i].municipality, mentions[i].projects) for i in indexes], uf)


class _Links:
    """Union-find over cluster ids that stores only the clusters rule 4 joined (they are few)."""

    def __init__(self) -> None:
        self.parent: dict = {}

    def find(self, i):
        root = i
        while (parent := self.parent.get(root, root)) != root:
            root = parent
        while i != root:
            self.parent[i], i = root, self.parent[i]
        return root

    def union(self, a, b) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _link_same_name(facts: list[tuple[Hashable, PersonName, str | None, Iterable[str]]], uf) -> None:
    """Rule 4 for one (surname key, first name) over its ``(cluster, name, municipality, projects)``
    facts, in mention order. Only when the name occurs in two municipalities (or more) are its people
    compared: two of them are joined when their documents share a project and their middle names agree.

    Each person (current cluster) is represented by its first mention of the name, and carries the
    projects of all its mentions of the name; both are taken before any joining, so joins made while
    comparing do not change what later pairs compare.
    """
    if len({municipality for _, _, municipality, _ in facts}) < 2:
        return
    people: dict[Hashable, tuple[PersonName, set[str]]] = {}
    for cluster, name, _, projects in facts:
        root = uf.find(cluster)
        if root in people:
            people[root][1].update(projects)
        else:
            people[root] = (name, set(projects))
    found = list(people.items())
    partners: dict[Hashable, list[PersonName]] = defaultdict(list)
    pairs = []
    for a_pos, (a, (a_name, a_projects)) in enumerate(found):
        for b, (b_name, b_projects) in found[a_pos + 1:]:
            if a_projects & b_projects and middles_compatible(a_name, b_name):
                pairs.append((a, b))
                partners[a].append(b_name)
                partners[b].append(a_name)

    def ambiguous(person: Hashable) -> bool:
        # As in rule 2: a name without a middle name that fits two people whose middle names
        # differ cannot say which one it is, so it joins neither (and does not chain them).
        names = partners[person]
        return any(not middles_compatible(x, y) for i, x in enumerate(names) for y in names[i + 1:])

    for a, b in pairs:
        if not (ambiguous(a) or ambiguous(b)):
            uf.union(a, b)


def canonical_person_name(texts: list[str]) -> str:
    """The name a person's page shows: the most complete Cyrillic spelling, most frequent first."""
    return _best_person_name(Counter(texts), _is_full_name)


def _is_full_name(text: str) -> bool:
    name = parse_person_name(text)
    return bool(name and name.is_full)


_CYRILLIC = re.compile("[\u0400-\u04ff]")


def _best_person_name(counts: dict[str, int], is_full: Callable[[str], bool]) -> str:
    def score(text: str) -> tuple:
        return (_CYRILLIC.search(text) is not None, is_full(text), len(text.split()), counts[text])
    best = max(sorted(counts), key=score) if len(counts) > 1 else next(iter(counts))
    return _as_shown(best)


def _as_shown(name: str) -> str:
    return name.title() if name.isupper() else name


# ---------------------------------------------------------------------------------------------
# Organisations

def org_scope(org: OrgName, kind: str | None, municipality: str | None) -> str | None:
    """Where an organisation's name is unique: its municipality for local kinds, else the country."""
    named = municipality_named(org)
    if named:
        return named
    return municipality if (kind in LOCAL_KINDS or not org.form) else None


def _org_block_heads(orgs: list[OrgName]) -> list[int]:
    """Inside one block, in mention order: each organisation's position of its first matching mention."""
    heads: list[int] = []
    found = []
    for i, org in enumerate(orgs):
        head = next((h for h in heads if orgs_match(orgs[h], org)), None)
        if head is None:
            heads.append(i)
            head = i
        found.append(head)
    return found


def cluster_organizations(mentions: list[Mention]) -> tuple[list[int], list[OrgName], list[str | None]]:
    """For each mention, its organisation's representative index; also the parsed names and scopes."""
    orgs = [parse_org_name(m.text) for m in mentions]
    scopes = [org_scope(o, m.extra.get("kind"), m.municipality) for o, m in zip(orgs, mentions)]
    heads = list(range(len(mentions)))
    blocks: dict[tuple, list[int]] = defaultdict(list)
    for i, org in enumerate(orgs):
        blocks[(scopes[i], org.block)].append(i)
    for indexes in blocks.values():
        for i, head in zip(indexes, _org_block_heads([orgs[i] for i in indexes])):
            heads[i] = indexes[head]
    return heads, orgs, scopes


# ---------------------------------------------------------------------------------------------
# Reading mentions and writing entities

_JSON = json.JSONEncoder(ensure_ascii=False, sort_keys=True)  # what json.dumps builds per call, built once
_JSON_STRING = json.encoder.encode_basestring  # how _JSON writes a string (ensure_ascii=False)


def _json(value) -> str:
    if type(value) is list:
        try:  # the text _JSON writes for a list of strings, without its per-call machinery
            return "[" + ", ".join(map(_JSON_STRING, value)) + "]"
        except TypeError:  # an item is not a string
            pass
    return _JSON.encode(value)


_SEP = "\x1f"
"""Separates the project keys of one document inside a TEXT value (codes have no control characters)."""

_TEMP_TABLES = {
    # project mention -> its project key, and the distinct project keys of every document
    "_resolve_project_keys": "(n integer primary key, id, document_id, project)",
    "_resolve_doc_projects": "(document_id, project, primary key (document_id, project)) without rowid",
    # every distinct name of a people mention, parsed; then the mentions in id order (n), with their
    # document's context and their parsed name
    "_resolve_person_names": "(text primary key, skey, first, middle, last, first_initial, middle_initial, full) "
                             "without rowid",
    "_resolve_people": "(n integer primary key, id, document_id, text, title, role, municipality, year, date, "
                       "skey, first, middle, last, first_initial, middle_initial, full)",
    # rules 1–3: the cluster's first n, of each mention that is not its cluster's first
    "_resolve_people_clusters": "(n integer primary key, cluster)",
    "_resolve_people_facts": "(skey, first, cluster, rep, municipality, middle, last, middle_initial, projects)",
    "_resolve_people_merges": "(cluster integer primary key, final)",  # rule 4
    "_resolve_person_links": "(id primary key, entity) without rowid",
    # the parsed name and scope of every distinct (name, kind, municipality) of organisation mentions
    "_resolve_org_names": "(text, kind, municipality, scope, block, form, core)",
    "_resolve_orgs": "(n integer primary key, id, document_id, text, kind, date, scope, block, form, core)",
    "_resolve_org_clusters": "(n integer primary key, cluster)",
    "_resolve_org_links": "(id primary key, entity) without rowid",
}
"""Working tables of one :func:`resolve` run: SQLite keeps them on disk beyond its small page cache,
so they hold what links blocks without holding it in Python."""


_PARSED_NAMES = 4096
"""How many recently parsed names (they repeat, organisations' especially) one pass keeps: a bound."""


def _drop_temp_tables(conn: sqlite3.Connection) -> None:
    for name in _TEMP_TABLES:
        conn.execute(f"drop table if exists temp.{name}")


def _create_temp_tables(conn: sqlite3.Connection) -> None:
    _drop_temp_tables(conn)
    for name, definition in _TEMP_TABLES.items():
        conn.execute(f"create temp table {name} {definition}")


class _Batch:
    """Rows for one INSERT, written every ``size`` rows so that they never pile up in memory."""

    def __init__(self, conn: sqlite3.Connection, sql: str, size: int = 2000):
        self.conn, self.sql, self.size, self.rows = conn, sql, size, []

    def add(self, row: tuple) -> None:
        self.rows.append(row)
        if len(self.rows) >= self.size:
            self.flush()

    def extend(self, rows: Iterable[tuple]) -> None:
        self.rows.extend(rows)
        if len(self.rows) >= self.size:
            self.flush()

    def flush(self) -> None:
        if self.rows:
            self.conn.executemany(self.sql, self.rows)
            self.rows = []


class _EntityWriter:
    """Inserts entity rows in their final order (so their rowids are too), many rows per INSERT.

    (A full-text index flushes its pending terms at every statement, so one INSERT per row would
    cost several times more.) With ``settle``, an id already taken (a rare hash collision) gets
    ``-2``, ``-3`` …, in the order the colliding entities come. ``linked`` is called with the
    ``(entity_id, payload)`` of the rows of each INSERT, in order, once their ids are final.
    """

    def __init__(self, conn: sqlite3.Connection, table: str, *, settle: bool = True,
                 linked: Callable[[list[tuple[str, object]]], object] | None = None):
        self.conn, self.table, self.settle, self.linked = conn, table, settle, linked
        self.columns: tuple[str, ...] = ()
        self.pending: list[tuple[dict, object]] = []
        self.count = 0

    def add(self, row: dict, payload: object = None) -> None:
        if tuple(row) != self.columns:
            self.flush()
            self.columns = tuple(row)
            self.per_statement = max(1, min(100, 999 // len(self.columns)))
            self.row_sql = f"({', '.join('?' for _ in self.columns)})"
            self.sql = f"insert into [{self.table}] ({', '.join(f'[{c}]' for c in self.columns)}) values "
        self.pending.append((row, payload))
        if len(self.pending) >= self.per_statement:
            self.flush()

    def flush(self) -> None:
        pending, self.pending = self.pending, []
        if not pending:
            return
        try:
            self.conn.execute(self.sql + ", ".join([self.row_sql] * len(pending)),
                              [value for row, _ in pending for value in row.values()])
        except sqlite3.IntegrityError:  # the statement inserted nothing: settle the ids one row at a time
            for row, _ in pending:
                self._insert_settled(row)
        self.count += len(pending)
        if self.linked:
            self.linked([(row["id"], payload) for row, payload in pending])

    def _insert_settled(self, row: dict) -> None:
        base, n = row["id"], 1
        while True:
            try:
                self.conn.execute(self.sql + self.row_sql, list(row.values()))
                return
            except sqlite3.IntegrityError:
                if not self.settle or not self.conn.execute(f"select 1 from [{self.table}] where id = ?",
                                                            [row["id"]]).fetchone():
                    raise
                n += 1
                row["id"] = f"{base}-{n}"


def _blocks(rows: Iterator[tuple], *key: int) -> Iterator[tuple[tuple, list[tuple]]]:
    """Consecutive rows with the same values at ``key`` positions, one list at a time."""
    for value, block in groupby(rows, key=itemgetter(*key)):
        yield value, list(block)


def _read_project_keys(conn: sqlite3.Connection) -> None:
    """The project key of every project mention with a code, and the distinct keys of every document."""
    rows = conn.execute(f"select id, document_id, code from {RECORD_TABLES['projects'].name} order by id")
    conn.executemany("insert into temp._resolve_project_keys (id, document_id, project) values (?, ?, ?)",
                     ((mention, document, project_key(code)) for mention, document, code in rows if code))
    conn.execute("create unique index temp._resolve_project_keys_id on _resolve_project_keys (id)")
    conn.execute("insert or ignore into temp._resolve_doc_projects select document_id, project "
                 "from temp._resolve_project_keys")


# --- people


def _read_people(conn: sqlite3.Connection) -> None:
    """Every ``people`` mention, in id order, with its document's context and its parsed name.

    Each distinct name is parsed once (names repeat), and SQLite joins the parsed names to the
    mentions, so no Python code runs per mention.
    """
    table = RECORD_TABLES["people"].name

    def parsed() -> Iterator[tuple]:
        for (text,) in conn.execute(f"select distinct coalesce(name, '') from {table}"):
            person = parse_person_name(text)
            yield (text, *((person.surname_key, person.first, person.middle, person.last, person.first_is_initial,
                            person.middle_is_initial, person.is_full) if person else (None,) * 6 + (False,)))

    conn.executemany("insert into temp._resolve_person_names (text, skey, first, middle, last, first_initial, "
                     "middle_initial, full) values (?, ?, ?, ?, ?, ?, ?, ?)", parsed())
    conn.execute(f"""
        insert into temp._resolve_people (id, document_id, text, title, role, municipality, year, date,
                                          skey, first, middle, last, first_initial, middle_initial, full)
        select p.id, p.document_id, nm.text, p.title, p.role, d.municipality, d.year, d.document_date,
               nm.skey, nm.first, nm.middle, nm.last, nm.first_initial, nm.middle_initial, nm.full
        from {table} p left join documents d on d.id = p.document_id
        join temp._resolve_person_names nm on nm.text = coalesce(p.name, '')
        order by p.id""")


def _cluster_people_blocks(conn: sqlite3.Connection) -> None:
    """Rules 1–3, one (municipality, surname key) block at a time; also the facts rule 4 needs:
    per cluster and full first name, its first mention, middle name and projects."""
    rows = conn.execute("""
        select n, document_id, year, municipality, skey, first, middle, last, first_initial, middle_initial,
               (select group_concat(project, char(31)) from temp._resolve_doc_projects dp
                 where dp.document_id = r.document_id)
        from temp._resolve_people r where skey is not null order by municipality, skey, n""")
    clusters = _Batch(conn, "insert into temp._resolve_people_clusters (n, cluster) values (?, ?)")
    facts = _Batch(conn, "insert into temp._resolve_people_facts (skey, first, cluster, rep, municipality, middle, "
                         "last, middle_initial, projects) values (?, ?, ?, ?, ?, ?, ?, ?, ?)")
    for (municipality, skey), block in _blocks(rows, 3, 4):
        names = [PersonName(r[5], r[6], r[7], bool(r[8]), bool(r[9])) for r in block]
        uf = _Clusters(len(block))
        _resolve_block(list(range(len(block))), [r[1] for r in block], [r[2] for r in block], names, uf)
        by_first: dict[tuple[int, str], list] = {}
        for i, (row, name) in enumerate(zip(block, names)):
            cluster = block[uf.find(i)][0]  # the root is the cluster's first mention
            if cluster != row[0]:
                clusters.add((row[0], cluster))
            if name.is_full:
                projects = row[10].split(_SEP) if row[10] else ()
                fact = by_first.get((cluster, name.first))
                if fact is None:
                    by_first[(cluster, name.first)] = [skey, name.first, cluster, row[0], municipality, name.middle,
                                                      name.last, name.middle_is_initial, set(projects)]
                else:
                    fact[-1].update(projects)
        for fact in by_first.values():
            facts.add((*fact[:-1], _SEP.join(sorted(fact[-1]))))
    clusters.flush()
    facts.flush()


def _link_people_across_municipalities(conn: sqlite3.Connection) -> None:
    """Rule 4 over the facts of each (surname key, first name) found in two municipalities or more,
    taken in the order of their first mention (as :func:`_link_across_municipalities` does)."""
    conn.execute("create index temp._resolve_people_facts_name on _resolve_people_facts (skey, first, rep)")
    rows = conn.execute("""
        select g.start, f.cluster, f.first, f.middle, f.last, f.middle_initial, f.municipality, f.projects
        from (select skey, first, min(rep) start from temp._resolve_people_facts group by skey, first
              having count(distinct municipality) + max(municipality is null) >= 2
                 and sum(projects != '') >= 2) g  -- else no two of its people can share a project
        join temp._resolve_people_facts f on f.skey = g.skey and f.first = g.first
        order by g.start, f.rep""")
    uf = _Links()
    for _, group in _blocks(rows, 0):
        _link_same_name([(cluster, PersonName(first, middle, last, False, bool(middle_initial)), municipality,
                          projects.split(_SEP) if projects else ())
                         for _, cluster, first, middle, last, middle_initial, municipality, projects in group], uf)
    conn.executemany("insert into temp._resolve_people_merges (cluster, final) values (?, ?)",
                     [(cluster, uf.find(cluster)) for cluster in list(uf.parent)])


def _write_persons(conn: sqlite3.Connection) -> int:
    """The ``persons`` rows, in the order of each person's first mention, and every mention's person id."""
    region = {m["name"]: m["region"] for m in municipalities()}
    rows = conn.execute("""
        select coalesce(m.final, c.cluster, r.n) person, r.id, r.document_id, r.text, r.title, r.role,
               r.municipality, r.date, r.full
        from temp._resolve_people r left join temp._resolve_people_clusters c on c.n = r.n
        left join temp._resolve_people_merges m on m.cluster = coalesce(c.cluster, r.n)
        order by person""")
    links = _Batch(conn, "insert into temp._resolve_person_links (id, entity) values (?, ?)")
    writer = _EntityWriter(conn, "persons", linked=lambda done: links.extend(
        (mention, entity) for entity, mentions in done for mention in mentions))
    for _, group in _blocks(rows, 0):
        writer.add(_person(group, region), [r[1] for r in group])
    writer.flush()
    links.flush()
    return writer.count


def _person(group: list[tuple], region: dict[str, str]) -> dict:
    """The ``persons`` row of the mentions ``group`` (rows of :func:`_write_persons`' query)."""
    counts = Counter(r[3] for r in group)
    name = _best_person_name(counts, {r[3]: bool(r[8]) for r in group}.__getitem__)
    places = sorted({r[6] for r in group if r[6]})
    dates = [r[7] for r in group if r[7]]
    return {
        "id": stable_id("p", "|".join(places), name),
        "name": name,
        "aliases": _json(sorted(counts)),
        "municipality": places[0] if len(places) == 1 else None,
        "municipalities": _json(places),
        "region": region.get(places[0]) if len(places) == 1 else None,
        "titles": _json(sorted({r[4] for r in group if r[4]})),
        "roles": _json(sorted({r[5] for r in group if r[5]})),
        "mentions": len(group),
        "documents": len({r[2] for r in group}),
        "first_seen": min(dates) if dates else None,
        "last_seen": max(dates) if dates else None,
    }


# --- organisations


def _last_word(text: str) -> str:
    """The last word of ``text``, lower-cased (``""`` for a name with no words, which an extractor
    other than letopis's own may produce)."""
    words = text.split()
    return words[-1].lower() if words else ""


def _read_organizations(conn: sqlite3.Connection) -> None:
    """Every organisation mention, in id order, with its document's context, parsed name and scope.

    As for people, each distinct (name, kind, municipality) is parsed once and SQLite joins them
    to the mentions.
    """
    table = RECORD_TABLES["organizations"].name
    parse = lru_cache(maxsize=_PARSED_NAMES)(parse_org_name)  # one name comes with several kinds and places

    def parsed() -> Iterator[tuple]:
        for text, kind, municipality in conn.execute(f"select distinct coalesce(o.name, ''), o.kind, d.municipality "
                                                     f"from {table} o left join documents d on d.id = o.document_id"):
            org = parse(text)
            yield text, kind, municipality, org_scope(org, kind, municipality), org.block, org.form, org.core

    conn.executemany("insert into temp._resolve_org_names (text, kind, municipality, scope, block, form, core) "
                     "values (?, ?, ?, ?, ?, ?, ?)", parsed())
    conn.execute("create index temp._resolve_org_names_key on _resolve_org_names (text, kind, municipality)")
    conn.execute(f"""
        insert into temp._resolve_orgs (id, document_id, text, kind, date, scope, block, form, core)
        select o.id, o.document_id, nm.text, o.kind, d.document_date, nm.scope, nm.block, nm.form, nm.core
        from {table} o left join documents d on d.id = o.document_id
        join temp._resolve_org_names nm
          on nm.text = coalesce(o.name, '') and nm.kind is o.kind and nm.municipality is d.municipality
        order by o.id""")


def _cluster_organization_blocks(conn: sqlite3.Connection) -> None:
    """Organisations, one (scope, legal form + first letters) block at a time."""
    rows = conn.execute("select n, scope, block, form, core from temp._resolve_orgs order by scope, block, n")
    clusters = _Batch(conn, "insert into temp._resolve_org_clusters (n, cluster) values (?, ?)")
    for _, block in _blocks(rows, 1, 2):
        for row, head in zip(block, _org_block_heads([OrgName(r[3], r[4]) for r in block])):
            clusters.add((row[0], block[head][0]))
    clusters.flush()


def _write_organizations(conn: sqlite3.Connection) -> int:
    """The ``organizations`` rows, in the order of each one's first mention, and every mention's organisation id."""
    rows = conn.execute("""
        select c.cluster, r.id, r.document_id, r.text, r.kind, r.date, r.scope, r.form, r.core
        from temp._resolve_orgs r join temp._resolve_org_clusters c on c.n = r.n
        order by c.cluster, r.n""")
    links = _Batch(conn, "insert into temp._resolve_org_links (id, entity) values (?, ?)")
    writer = _EntityWriter(conn, "organizations", linked=lambda done: links.extend(
        (mention, entity) for entity, mentions in done for mention in mentions))
    for _, group in _blocks(rows, 0):
        head = group[0]  # the first mention: the cluster's representative
        org, scope = OrgName(head[7], head[8]), head[6]
        counts = Counter(r[3] for r in group)
        name = max(sorted(counts), key=lambda t: (_last_word(t) not in TRAILING_FUNCTION_WORDS, counts[t],
                                                  any(q in t for q in "„“\""), len(t)))
        named = municipality_named(org)
        dates = [r[5] for r in group if r[5]]
        writer.add({
            "id": stable_id("o", scope, org.form, org.core),
            "name": f"Община {named}" if named and org.form == "община" else name,
            "kind": Counter(r[4] for r in group).most_common(1)[0][0],
            "legal_form": org.form or None,
            "municipality": named or scope,
            "aliases": _json(sorted(counts)),
            "mentions": len(group),
            "documents": len({r[2] for r in group}),
            "first_seen": min(dates) if dates else None,
            "last_seen": max(dates) if dates else None,
        }, [r[1] for r in group])
    writer.flush()
    links.flush()
    return writer.count


# --- projects

def _normalized_title(title: str) -> str:
    return " ".join(_title_words(title))


def _title_words(text: str) -> list[str]:
    """The words of ``_normalized_title(text)``, without joining them (a document's text is long)."""
    return fold(text).replace('"', " ").split()


def _write_projects(conn: sqlite3.Connection) -> int:
    """The ``projects`` rows (by key) and ``project_documents``; returns the number of projects.

    A document is linked to a project when it writes the project's code (in any damaged form the
    extractor repairs, or as a contract ``-Cxx``), or, without the code, the project's full title.
    Mentions are streamed one project at a time; the titles index stays in memory, but it grows with
    the number of projects with long titles, not with documents.
    """
    cursor = conn.execute(f"""
        select k.project as _key, d.document_date as _date, p.*
        from temp._resolve_project_keys k join {RECORD_TABLES['projects'].name} p on p.id = k.id
        left join documents d on d.id = p.document_id
        order by k.project, coalesce(d.document_date, ''), p.id""")
    columns = [c[0] for c in cursor.description]
    link = "insert into project_documents (project_id, document_id, link) values (?, ?, ?)"
    writer = _EntityWriter(conn, "projects", settle=False, linked=lambda done: conn.executemany(
        link, [(key, document, "code") for key, documents in done for document in documents]))
    titles: dict[str, str] = {}
    for key, rows in _blocks(cursor, 0):
        group = [dict(zip(columns, r)) for r in rows]

        def most_common(column: str):
            values = Counter(r[column] for r in group if r[column])
            return max(sorted(values), key=lambda v: (values[v], len(str(v)))) if values else None
        contract_codes = sorted({c for r in group for c in json.loads(r["contract_codes"] or "[]")})
        totals = [r["total_eur"] for r in group if r["total_eur"] is not None]
        title = most_common("title")
        dates = sorted(r["_date"] or "" for r in group)
        dates = [d for d in dates if d]
        writer.add({
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
        }, sorted({r["document_id"] for r in group}))
        normalized = _normalized_title(title or "")
        # Matching reads a title's 2nd to 4th words: quotes standing alone may leave fewer.
        if title and len(title.split()) >= 5 and normalized.count(" ") >= 3:
            titles[key] = normalized
    writer.flush()
    if titles:
        _link_projects_by_title(conn, titles, link)
    return writer.count


def _link_projects_by_title(conn: sqlite3.Connection, titles: dict[str, str], link: str) -> None:
    """Link every document to each project (in project order) whose normalized title it contains,
    unless the project's code already linked them. The title's 2nd to 4th words must be whole
    words in a row of the text too, which any title of five words or more that it contains has.

    Texts are streamed one at a time, never held all at once.
    """
    inner = {key: " " + " ".join(_inner_words(title)) + " " for key, title in titles.items()}
    anchors = _title_anchors(titles)
    order = {key: n for n, key in enumerate(titles)}
    for doc_id, doc_text in conn.execute("select id, text from documents order by id"):
        words = _title_words(doc_text or "")
        hits = anchors.keys() & words
        if not hits:
            continue
        text = " ".join(words)
        spaced = f" {text} "
        found = {key for word in hits for key in _titles_at(text, spaced, word, anchors[word])}
        for key in sorted(found, key=order.__getitem__):
            if inner[key] in spaced and not conn.execute(
                    "select 1 from project_documents where project_id = ? and document_id = ?",
                    [key, doc_id]).fetchone():  # not already linked by its code
                conn.execute(link, [key, doc_id, "title"])


def _inner_words(title: str) -> list[str]:
    """The 2nd to 4th words of a normalized title."""
    words = title.split(" ")
    return [words[1], words[2], words[3]]


def _title_anchors(titles: dict[str, str]) -> dict[str, dict[tuple[int, int], dict[str, list[str]]]]:
    """Project keys by anchor, then by the anchor's offset in the title and the title's length,
    then by title. A title's anchor is one of its 2nd to 4th words (the one fewest titles have)
    that is neither its first nor its last word.

    Words inside a title are whole words wherever the title occurs in a text (only its first and
    last word may be cut from longer ones), so a text contains a title exactly when the title is
    the slice of the text that starts ``offset`` characters before one of the whole-word
    occurrences of its anchor. Looking anchors up among a text's words replaces trying every
    title on every document, which grew with documents × projects, and looking the slices up
    replaces comparing every title that has the anchor.
    """
    # a title of five words or more may have four once normalized: then its 4th word is its last
    candidates = {key: _inner_words(title)[:len(title.split(" ")) - 2] for key, title in titles.items()}
    titles_with = Counter(word for words in candidates.values() for word in set(words))
    index: dict[str, dict[tuple[int, int], dict[str, list[str]]]] = defaultdict(dict)
    for key, words in candidates.items():
        anchor = min(words, key=lambda w: (titles_with[w], -len(w)))
        title = titles[key]
        offset = len(" ".join(title.split(" ")[:words.index(anchor) + 1])) + 1  # the words before it and a space
        index[anchor].setdefault((offset, len(title)), {}).setdefault(title, []).append(key)
    return index


def _titles_at(text: str, spaced: str, anchor: str, shapes: dict[tuple[int, int], dict[str, list[str]]]
               ) -> Iterator[str]:
    """The keys of the titles anchored on ``anchor`` (by offset and length, then title) that occur
    in ``text`` (``spaced`` is ``text`` with a space at each end)."""
    needle = f" {anchor} "
    start = spaced.find(needle)
    while start >= 0:  # the anchor starts at text[start]
        for (offset, length), by_title in shapes.items():
            if start >= offset:
                yield from by_title.get(text[start - offset:start - offset + length], ())
        start = spaced.find(needle, start + 1)


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
    conn = db.conn
    with db.atomic():
        _create_temp_tables(conn)
        _read_project_keys(conn)
        _read_people(conn)
        _cluster_people_blocks(conn)
        _link_people_across_municipalities(conn)
        _read_organizations(conn)
        _cluster_organization_blocks(conn)
        places = municipality_rows(db)
        for kind, column in (("people", "person_id"), ("organizations", "organization_id"), ("projects", "project_id")):
            db.execute(f"update {RECORD_TABLES[kind].name} set {column} = null where {column} is not null")
        for name in ("project_documents", "persons", "organizations", "projects", "municipalities"):  # children first
            db[name].delete_where()
        db["municipalities"].insert_all(places, pk=ENTITY_TABLES["municipalities"].pk)
        counts = {"projects": _write_projects(conn), "organizations": _write_organizations(conn),
                  "persons": _write_persons(conn)}
        for kind, column, links, key in (("people", "person_id", "_resolve_person_links", "entity"),
                                         ("organizations", "organization_id", "_resolve_org_links", "entity"),
                                         ("projects", "project_id", "_resolve_project_keys", "project")):
            table = RECORD_TABLES[kind].name
            conn.execute(f"update {table} set {column} = (select {key} from temp.{links} l where l.id = {table}.id) "
                         f"where id in (select id from temp.{links})")
        _drop_temp_tables(conn)
    return {"persons": counts["persons"], "organizations": counts["organizations"], "projects": counts["projects"],
            "municipalities": len(places)}
