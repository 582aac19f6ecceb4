"""Benchmark: entity resolution time for 10,000 and 100,000 person mentions, and its growth.

Synthetic mentions are drawn like an archive's: given names from the gazetteer, surnames made
from common stems with masculine/feminine endings, 265 municipalities, and a share of initials
(``К. Петрова``), three-word names and Latin-script spellings. Prints mentions, persons found,
seconds, and the growth factor from one size to the next (10× mentions should cost ≈10× time
when blocking keeps the work near-linear).

    python bench/resolution.py [--sizes 10000 100000]
"""
from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from extract.lexicon import first_names, municipalities  # noqa: E402
from extract.translit import to_latin  # noqa: E402
from index.resolve import Mention, cluster_people  # noqa: E402

STEMS = ["Петр", "Иван", "Георги", "Димитр", "Стоян", "Никол", "Христ", "Тодор", "Стефан", "Атанас", "Васил",
         "Костадин", "Ангел", "Йордан", "Кирил", "Марин", "Колев", "Павл", "Симеон", "Добр", "Михайл", "Радев",
         "Ценк", "Велик", "Благо", "Гочев", "Пенч", "Янк", "Драган", "Русев"]


def synthetic_mentions(n: int, seed: int = 1) -> list[Mention]:
    rng = random.Random(seed)
    names = sorted(first_names())
    places = [m["name"] for m in municipalities()]
    people = []
    for _ in range(max(1, n // 6)):  # each person is mentioned about six times
        stem = rng.choice(STEMS) + rng.choice(["", "ч", "ск", "ан", "ин"])
        female = rng.random() < 0.5
        last = stem + ("ова" if female else "ов")
        middle = rng.choice(STEMS) + ("ова" if female else "ов")
        people.append((rng.choice(names), middle, last, rng.choice(places)))
    mentions = []
    for i in range(n):
        first, middle, last, place = rng.choice(people)
        form = rng.random()
        if form < 0.2:
            text = f"{first[0]}. {last}"
        elif form < 0.4:
            text = f"{first} {middle} {last}"
        elif form < 0.43:
            text = to_latin(f"{first} {last}").upper()
        else:
            text = f"{first} {last}"
        year = rng.randint(2010, 2026)
        mentions.append(Mention(id=f"m{i}", document_id=f"d{i // 8}", text=text, municipality=place, year=year,
                                date=f"{year}-06-01"))
    return mentions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    args = parser.parse_args()
    print(f"{'mentions':>10} {'persons':>9} {'seconds':>9} {'growth':>8}")
    previous = None
    for size in args.sizes:
        mentions = synthetic_mentions(size)
        started = time.perf_counter()
        heads = cluster_people(mentions)
        seconds = time.perf_counter() - started
        growth = f"{seconds / previous[1]:.1f}x/{size / previous[0]:.0f}x" if previous else ""
        print(f"{size:>10} {len(set(heads)):>9} {seconds:>9.2f} {growth:>8}")
        previous = (size, seconds)


if __name__ == "__main__":
    main()
