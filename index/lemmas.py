"""Search that understands Bulgarian: lemma text, query parsing, FTS5 expressions and snippets.

Every searchable text gets a *lemma text* next to it: one lemma per word of the text, in the
same order, separated by single spaces (``Решенията бяха приети`` → ``решение съм приема``).
The lemma text is what the ``<table>_lemmas_fts`` indexes hold, so a query lemmatised the
same way finds every inflected form (``решение`` finds ``решението`` and ``решения``).

Because word *k* of the lemma text is word *k* of the original text (both split by
:data:`WORD`), a hit found in the lemma text maps back to the original words, which is how
snippets highlight what the document really says rather than its lemmas.

Lemmas come from simplemma, whose Bulgarian dictionary ships inside the wheel: nothing is
downloaded at run time.
"""
from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable

WORD = re.compile(r"[^\W_]+")
"""A word: a run of letters and digits (Unicode), the unit both texts are split into."""

LANGUAGE = "bg"
MARK = "**"
"""Snippets mark hits as ``**word**``; the web pages turn the pairs into ``<mark>``."""

SEPARATOR = "\n"
"""Joins the columns of one row into its searchable text (title and text of a document ...)."""


def searchable_text(values: Iterable[str | None]) -> str:
    """The text a row's lemma text is made from: its searchable columns joined by a newline.

    SQL builds the same string as ``coalesce(a, '') || char(10) || coalesce(b, '')``.
    """
    return SEPARATOR.join(value or "" for value in values)


@lru_cache(maxsize=500_000)
def lemma(word: str) -> str:
    """The lemma of one word, case-folded; the word itself (folded) when simplemma has no single-word lemma."""
    from simplemma import lemmatize

    folded = word.casefold()
    result = lemmatize(word, lang=LANGUAGE).casefold()
    # A lemma must stay one word, or the lemma text would lose its alignment with the text.
    return result if WORD.fullmatch(result) else folded


@lru_cache(maxsize=100_000)
def is_known(word: str) -> bool:
    """Whether simplemma's dictionary has the word (an unknown word may be the start of one)."""
    from simplemma import is_known as known

    return known(word, lang=LANGUAGE)


def lemma_text(text: str | None) -> str:
    """The lemma text of ``text``: the lemma of each word, in order, joined by single spaces."""
    return " ".join([lemma(word) for word in WORD.findall(text or "")])


# --- queries ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    """One term of a query: a word, or a "quoted phrase" of consecutive words.

    ``lemmas`` are what must occur in the lemma text, in order. ``prefixes`` holds, for a
    single word simplemma does not know (a name, a code, the start of a word), the folded
    forms that may also begin a word (``читалищ`` finds ``читалище``).
    """

    words: tuple[str, ...]
    lemmas: tuple[str, ...]
    prefixes: tuple[str, ...] = ()


QUOTED = re.compile(r'"([^"]*)"')


@lru_cache(maxsize=1024)
def parse_query(query: str | None) -> tuple[Term, ...]:
    """The terms of a search query: "quoted phrases" and single words; punctuation is ignored.

    An unbalanced quote is ignored, so any input is a valid query.
    """
    query = query or ""
    terms: list[Term] = []
    position = 0
    for match in itertools.chain(QUOTED.finditer(query), [None]):
        end = match.start() if match else len(query)
        for word in WORD.findall(query[position:end]):
            terms.append(_word_term(word))
        if match:
            words = tuple(WORD.findall(match.group(1)))
            if len(words) == 1:
                terms.append(_word_term(words[0]))
            elif words:
                terms.append(Term(words, tuple(lemma(w) for w in words)))
            position = match.end()
    terms = list(dict.fromkeys(terms))
    content = [term for term in terms if not (len(term.words) == 1 and term.words[0].casefold() in STOPWORDS)]
    return tuple(content or terms)


STOPWORDS = frozenset("""а в във да до е за и или към на не но от по при са се с със то че ще""".split())
"""Function words left out of a query that has other words: they are in nearly every document, so
they would cost the most to match and rank and narrow nothing. Inside "quoted phrases" they stay."""


MIN_PREFIX = 3
"""Shorter unknown words match only whole: a one-letter prefix would expand to half the index."""


def _word_term(word: str) -> Term:
    base = lemma(word)
    if is_known(word) or word.isdigit() or len(word) < MIN_PREFIX:
        return Term((word,), (base,))
    return Term((word,), (base,), tuple(dict.fromkeys((base, word.casefold()))))


def _quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def fts_query(query: str | None) -> str:
    """The FTS5 MATCH expression that finds ``query`` in a lemma text (``'""'`` matches nothing).

    Every term must occur (AND); a phrase as a phrase; an unknown word also as a prefix.
    """
    parts = []
    for term in parse_query(query):
        if term.prefixes:
            alternatives = [_quote(prefix) + "*" for prefix in term.prefixes]
            parts.append(alternatives[0] if len(alternatives) == 1 else "(" + " OR ".join(alternatives) + ")")
        else:
            parts.append(_quote(" ".join(term.lemmas)))
    return " AND ".join(parts) if parts else '""'


def names_query(query: str | None) -> str:
    """The FTS5 MATCH expression for names (people, organisations): every word as a prefix, as written.

    Names are not lemmatised: ``Петрова`` is not a form of ``Петров``. The index folds case.
    """
    words = [word for term in parse_query(query) for word in term.words]
    # The word also as itself, so that bm25 ranks Михайлов before Михайлова and Михайловски.
    return " AND ".join(f"({_quote(word)} OR {_quote(word)}*)" for word in words) if words else '""'


def _term_pattern(term: Term) -> str:
    if term.prefixes:
        return "(?:" + "|".join(re.escape(prefix) for prefix in term.prefixes) + ")[^ ]*"
    return re.escape(" ".join(term.lemmas))


@lru_cache(maxsize=1024)
def _hit_patterns(query: str | None) -> tuple[re.Pattern, tuple[re.Pattern, ...]]:
    """One pattern finding any term in a lemma text, and one per term (for "all terms occur")."""
    terms = parse_query(query)
    around = r"(?<![^ ]){}(?![^ ])"
    each = tuple(re.compile(around.format(_term_pattern(term))) for term in terms)
    combined = "|".join(f"({_term_pattern(term)})" for term in terms) or "(?!)"
    return re.compile(around.format("(?:" + combined + ")")), each


def matches(lemmas: str | None, query: str | None) -> bool:
    """Whether every term of ``query`` occurs in the lemma text ``lemmas`` (what the FTS match does)."""
    _, each = _hit_patterns(query)
    return bool(each) and all(pattern.search(lemmas or "") for pattern in each)


# --- snippets ---------------------------------------------------------------------------------


def hits(lemmas: str, query: str | None, limit: int = 300) -> list[tuple[int, int, int]]:
    """``(first word, last word, term)`` of each hit of ``query`` in the lemma text, in order."""
    combined, _ = _hit_patterns(query)
    found = []
    words_before, counted_to = 0, 0
    for match in itertools.islice(combined.finditer(lemmas), limit):
        words_before += lemmas.count(" ", counted_to, match.start())
        counted_to = match.start()
        term = match.lastindex - 1 if match.lastindex else 0
        found.append((words_before, words_before + match.group().count(" "), term))
    return found


def best_window(found: list[tuple[int, int, int]], width: int) -> int:
    """The first word of the ``width``-word window holding the most different terms, then the most hits.

    One pass with two pointers over the hits (in text order), so a word found on every line
    of a long document costs no more than the hits themselves.
    """
    best, best_score = 0, (-1, -1)
    terms: dict[int, int] = {}
    end = 0
    for i, (first, _, _) in enumerate(found):
        while end < len(found) and found[end][1] < first + width:
            terms[found[end][2]] = terms.get(found[end][2], 0) + 1
            end += 1
        score = (len(terms), end - i)
        if score > best_score:
            best, best_score = first, score
        term = found[i][2]
        if i < end:
            terms[term] -= 1
            if not terms[term]:
                del terms[term]
        else:
            end = i + 1
    return max(0, best - width // 4)


def marked(text: str, spans: list[tuple[int, int]], mark: str = MARK) -> str:
    """``text`` with each (start, end) span wrapped in ``mark``; spans sorted and not overlapping."""
    out, position = [], 0
    for start, end in spans:
        out += [text[position:start], mark, text[start:end], mark]
        position = end
    out.append(text[position:])
    return "".join(out)


def snippet(text: str | None, lemmas: str | None, query: str | None, width: int = 24) -> str:
    """About ``width`` words of ``text`` around its best hits of ``query``, hits wrapped in ``**``.

    ``lemmas`` is the stored lemma text of ``text`` (computed here when missing). Without a
    hit the snippet is the start of the text. Line breaks become spaces.
    """
    text = text or ""
    if lemmas is None:
        lemmas = lemma_text(text)
    found = hits(lemmas, query)
    start = best_window(found, width) if found else 0
    words = list(itertools.islice(WORD.finditer(text), start, start + width))
    if not words:
        return ""
    wanted = {k for first, last, _ in found for k in range(first, last + 1) if start <= k < start + width}
    spans: list[tuple[int, int]] = []
    for k, word in enumerate(words, start=start):
        if k in wanted:
            if spans and k - 1 in wanted and not text[spans[-1][1]:word.start()].strip():
                spans[-1] = (spans[-1][0], word.end())  # one mark over a phrase
            else:
                spans.append((word.start(), word.end()))
    begin, end = words[0].start(), words[-1].end()
    body = marked(text[begin:end], [(s - begin, e - begin) for s, e in spans])
    body = " ".join(body.split())
    more_after = WORD.search(text, end) is not None
    return ("… " if start > 0 else "") + body + (" …" if more_after else "")


def highlight_names(text: str | None, query: str | None) -> str:
    """``text`` with the words that start with a word of ``query`` (case folded) in ``**``, as names match."""
    text = text or ""
    starts = tuple(word.casefold() for term in parse_query(query) for word in term.words)
    if not starts:
        return text
    return marked(text, [(w.start(), w.end()) for w in WORD.finditer(text) if w.group().casefold().startswith(starts)])


def highlight(text: str | None, query: str | None) -> str:
    """The whole of a short ``text`` (a title, a name) with the words matching ``query`` in ``**``."""
    text = text or ""
    words = list(WORD.finditer(text))
    lemmas = " ".join(lemma(w.group()) for w in words)
    wanted = {k for first, last, _ in hits(lemmas, query) for k in range(first, last + 1)}
    return marked(text, [(words[k].start(), words[k].end()) for k in sorted(wanted)])


# --- the database ----------------------------------------------------------------------------


def row_lemmas(row: dict, columns: Iterable[str]) -> str:
    """The lemma text of a row: its ``columns`` joined by :func:`searchable_text`, lemmatised."""
    return lemma_text(searchable_text(row.get(column) for column in columns))


def fill_lemmas(db, spec, *, only_missing: bool = True, batch: int = 500) -> int:
    """Compute the lemma column of ``spec``'s table (only where it is empty, unless told otherwise).

    Works in batches of ``batch`` rows, one transaction each, so a large database can be
    filled (and the fill resumed) without holding the table in memory. Returns the rows filled.
    """
    from .schema import LEMMA_COLUMN

    columns = ", ".join(f"[{column}]" for column in spec.lemmas)
    empty = f"and [{LEMMA_COLUMN}] is null" if only_missing else ""
    select = f"select rowid, {columns} from [{spec.name}] where rowid > ? {empty} order by rowid limit ?"
    update = f"update [{spec.name}] set [{LEMMA_COLUMN}] = ? where rowid = ?"
    last, filled = -(2 ** 63), 0
    while rows := db.execute(select, [last, batch]).fetchall():
        with db.atomic():
            db.conn.executemany(update, [(lemma_text(searchable_text(row[1:])), row[0]) for row in rows])
        last, filled = rows[-1][0], filled + len(rows)
    return filled


def reindex(db, tables: Iterable[str] | None = None) -> dict[str, int]:
    """Recompute every lemma text and rebuild the lemma indexes (after a simplemma upgrade, say).

    Creates the lemma columns and indexes first if the database predates them. Returns the
    rows lemmatised per table.
    """
    from .schema import TABLES, ensure_schema, lemma_fts_name

    ensure_schema(db)
    counts = {}
    for spec in TABLES.values():
        if spec.lemmas and (tables is None or spec.name in tables):
            counts[spec.name] = fill_lemmas(db, spec, only_missing=False)
            fts = lemma_fts_name(spec.name)
            with db.atomic():
                db.execute(f"insert into [{fts}]([{fts}]) values ('rebuild')")
            db.execute(f"insert into [{fts}]([{fts}]) values ('optimize')")
    return counts


def main(argv: list[str] | None = None) -> None:
    """``python -m index.lemmas DB``: fill or rebuild the lemma indexes of an existing database."""
    import argparse
    import time

    import sqlite_utils

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("db", help="the SQLite database")
    parser.add_argument("--all", action="store_true", help="recompute every lemma text, not only missing ones")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    db = sqlite_utils.Database(args.db)
    if args.all:
        counts = reindex(db)
        print(", ".join(f"{n} {table}" for table, n in counts.items()), end="; ")
    else:
        from .schema import ensure_schema

        ensure_schema(db)
    print(f"lemma indexes ready in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()


def register_sql_functions(conn) -> None:
    """Make the search available to SQL on a ``sqlite3`` connection (Datasette does this per connection).

    ``letopis_match(q)`` and ``letopis_names(q)`` give FTS5 MATCH expressions for the lemma
    indexes and the name indexes; ``letopis_matches(lemmas, q)`` tests one lemma text;
    ``letopis_snippet(text, lemmas, q[, words])``, ``letopis_highlight(text, q)`` and
    ``letopis_highlight_names(text, q)`` mark hits in the original text with ``**``.
    """
    conn.create_function("letopis_match", 1, fts_query, deterministic=True)
    conn.create_function("letopis_names", 1, names_query, deterministic=True)
    conn.create_function("letopis_matches", 2, lambda lemmas, q: int(matches(lemmas, q)), deterministic=True)
    conn.create_function("letopis_snippet", 3, snippet, deterministic=True)
    conn.create_function("letopis_snippet", 4, lambda text, lemmas, q, width: snippet(text, lemmas, q, int(width)),
                         deterministic=True)
    conn.create_function("letopis_highlight", 2, highlight, deterministic=True)
    conn.create_function("letopis_highlight_names", 2, highlight_names, deterministic=True)
