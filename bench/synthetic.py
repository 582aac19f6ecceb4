#!/usr/bin/env python3
"""Generate a realistic synthetic corpus for benchmarks: Bulgarian council protocols, decisions and
EU project pages as PDF, HTML, DOCX and TXT, with budget tables, in any size.

    python bench/synthetic.py bench/data/corpus --documents 10000 [--seed 7]

Deterministic: the same seed and size give the same files, and document *i* is the same in
every corpus size, so a 1,000-document corpus is the first thousand of a 10,000 one. Files
that exist are kept, so growing a corpus only writes the new documents. People, projects and
sums are invented; municipalities, programmes and title words come from the gazetteers the
extractor uses, so every field of the extraction contract has something to find.

The mix follows what municipal sites publish: about 45 % council protocols (2-8 pages, a
budget table in one of four), 30 % decisions (one page), 25 % project pages and press
releases; formats 40 % PDF, 25 % TXT, 20 % HTML, 15 % DOCX.
"""
from __future__ import annotations

import argparse
import csv
import html
import importlib.util
import random
import sys
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
GAZETTEER = REPO / "models" / "gazetteer"
FORMATS = (("pdf", 40), ("txt", 25), ("html", 20), ("docx", 15))
KINDS = (("protocol", 45), ("decision", 30), ("project", 25))
MONTHS = ("януари", "февруари", "март", "април", "май", "юни", "юли", "август", "септември", "октомври",
          "ноември", "декември")
SURNAMES = ("Петров", "Димитров", "Стоянов", "Колев", "Гочев", "Бонев", "Ралчев", "Тодоров", "Пенчев", "Андонов",
            "Вълков", "Миладинов", "Чакъров", "Шишков", "Жеков", "Дренов", "Лазаров", "Маринов", "Цанков", "Якимов")
"""Invented people: a first name from the gazetteer and one of these (with -а for women)."""
TOPICS = (
    ("приемане на бюджета на Общината за {year} г.", "бюджет"),
    ("отпускане на финансова помощ на граждани", "социални"),
    ("актуализация на програмата за управление на отпадъците", "отпадъци"),
    ("продажба на общински имот, поземлен имот с идентификатор {ident}", "имоти"),
    ("ремонт на улична мрежа в населените места", "инфраструктура"),
    ("кандидатстване с проектно предложение по {programme}", "проекти"),
    ("учредяване на право на строеж върху общински терен", "имоти"),
    ("одобряване на годишния план за паша", "земеделие"),
    ("поемане на дългосрочен общински дълг за съфинансиране", "дълг"),
    ("определяне на размера на местните такси за {year} г.", "такси"),
)


def _load_render():
    spec = importlib.util.spec_from_file_location("letopis_render", REPO / "corpus" / "fixtures" / "render.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


@dataclass(frozen=True)
class Gazetteers:
    municipalities: list[str]
    first_names: list[str]
    programmes: list[tuple[str, str]]

    @classmethod
    def load(cls) -> "Gazetteers":
        with open(GAZETTEER / "municipalities.tsv", encoding="utf-8") as f:
            municipalities = sorted({row["name"] for row in csv.DictReader(f, delimiter="\t")})
        names = [n.strip() for n in (GAZETTEER / "first_names.txt").read_text(encoding="utf-8").splitlines()
                 if n.strip() and not n.startswith("#")]
        with open(GAZETTEER / "programmes.tsv", encoding="utf-8") as f:
            programmes = [(r["prefix"], r["name"]) for r in csv.DictReader(f, delimiter="\t")
                          if len(r["prefix"]) >= 11]
        return cls(municipalities, names, programmes)


def _weighted(rng: random.Random, choices) -> str:
    return rng.choices([c for c, _ in choices], weights=[w for _, w in choices])[0]


def _person(rng: random.Random, g: Gazetteers) -> str:
    first = rng.choice(g.first_names)
    female = first.endswith(("а", "я"))
    return f"{first} {rng.choice(SURNAMES)}{'а' if female else ''}"


def _money(rng: random.Random, low: int, high: int) -> str:
    value = rng.randint(low * 100, high * 100) / 100
    whole, cents = f"{value:.2f}".split(".")
    groups = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    return f"{' '.join(groups)},{cents}"


def _date(d: date) -> str:
    return f"{d.day:02d}.{d.month:02d}.{d.year} г."


def _votes(rng: random.Random, total: int) -> tuple[int, int, int]:
    against = rng.choice((0, 0, 0, 1, 2, 3))
    abstained = rng.choice((0, 0, 1, 2))
    return max(0, total - against - abstained - rng.randint(0, 3)), against, abstained


def protocol(rng: random.Random, g: Gazetteers, i: int) -> tuple[str, str]:
    """A council protocol in the renderer's block markup, and its title."""
    town = rng.choice(g.municipalities)
    day = date(2014, 1, 1) + timedelta(days=rng.randint(0, 12 * 365))
    members = rng.choice((11, 13, 17, 21, 29, 33))
    present = members - rng.randint(0, 3)
    chair = _person(rng, g)
    number = rng.randint(1, 60)
    topics = rng.sample(TOPICS, k=rng.randint(3, 8))
    year = day.year
    lines = [f"# ПРОТОКОЛ № {number}", f"^ от заседание на Общински съвет – {town}, проведено на {_date(day)}", "",
             f"Днес, {_date(day)}, в заседателната зала на Община {town} се проведе редовно заседание на "
             f"Общинския съвет. На заседанието присъстваха {present} от общо {members} общински съветници. "
             f"Заседанието беше открито и ръководено от {chair} – председател на Общинския съвет.", "",
             "## ДНЕВЕН РЕД:", ""]
    prog_code, prog_name = rng.choice(g.programmes)
    agenda = [t.format(year=year, ident=f"{rng.randint(10000, 99999)}.{rng.randint(1, 999)}.{rng.randint(1, 99)}",
                       programme=prog_name) for t, _ in topics]
    for n, item in enumerate(agenda, start=1):
        lines += [f"{n}. Докладна записка относно {item}.", ""]
    for n, item in enumerate(agenda, start=1):
        reporter = _person(rng, g)
        amount = _money(rng, 2_000, 4_000_000)
        votes_for, against, abstained = _votes(rng, present)
        lines += [f"### По т. {n} от дневния ред", "",
                  f"Докладва: {reporter} – кмет на Община {town}.", "",
                  f"Инж. {_person(rng, g)} изказа мнение, че предложението е разгледано от постоянната комисия "
                  f"и средствата в размер на {amount} лв. са предвидени в бюджета. Други изказвания няма.", "",
                  f"! РЕШЕНИЕ № {number * 10 + n}", "",
                  f"Общинският съвет – {town} реши: одобрява {item}. Възлага на кмета на Общината да предприеме "
                  "необходимите действия по изпълнение на решението.", "",
                  f"Гласували: за – {votes_for}, против – {against}, въздържали се – {abstained}. "
                  "Решението се приема.", ""]
        if n == 1 and i % 4 == 0:
            lines += ["@table cols=50,25,25 align=L,R,R", "| Показател | План (лв.) | Отчет (лв.) |"]
            for label in ("Местни данъци", "Такса битови отпадъци", "Капиталови разходи", "Социални дейности",
                          "Общо"):
                lines.append(f"| {label} | {_money(rng, 10_000, 900_000)} | {_money(rng, 10_000, 900_000)} |")
            lines.append("")
        if n % 3 == 0:
            lines += ["---page---", ""]
    lines += [f"> Председател на ОбС: {chair}", f"> Протоколист: {_person(rng, g)}"]
    return "\n".join(lines), f"Протокол № {number} от заседание на Общински съвет – {town}"


def decision(rng: random.Random, g: Gazetteers, i: int) -> tuple[str, str]:
    town = rng.choice(g.municipalities)
    day = date(2014, 1, 1) + timedelta(days=rng.randint(0, 12 * 365))
    number = rng.randint(1, 900)
    topic, _ = rng.choice(TOPICS)
    _, prog_name = rng.choice(g.programmes)
    item = topic.format(year=day.year, ident=f"{rng.randint(10000, 99999)}.{rng.randint(1, 999)}",
                        programme=prog_name)
    members = rng.choice((11, 13, 17, 21, 29))
    votes_for, against, abstained = _votes(rng, members)
    lines = [f"# РЕШЕНИЕ № {number}", f"^ от {_date(day)}", "",
             f"На основание чл. 21, ал. 1, т. 8 от ЗМСМА и във връзка с докладна записка от кмета на Община "
             f"{town}, Общински съвет – {town} РЕШИ:", "",
             f"1. Одобрява {item}.", "",
             f"2. Одобрява разход в размер на {_money(rng, 1_000, 2_000_000)} лв. с ДДС от бюджета на Общината.", "",
             f"Гласували {votes_for + against + abstained} общински съветници: за – {votes_for}, против – {against}, "
             f"въздържали се – {abstained}.", "",
             f"> Председател на Общински съвет – {town}: {_person(rng, g)}"]
    return "\n".join(lines), f"Решение № {number} на Общински съвет – {town}"


def project(rng: random.Random, g: Gazetteers, i: int) -> tuple[str, str]:
    town = rng.choice(g.municipalities)
    prog_code, prog_name = rng.choice(g.programmes)
    code = f"{prog_code}-{rng.randint(1, 9)}.{rng.randint(1, 20):03d}-{rng.randint(1, 9999):04d}"
    start = date(2015, 1, 1) + timedelta(days=rng.randint(0, 10 * 365))
    end = start + timedelta(days=rng.randint(180, 900))
    total = _money(rng, 50_000, 9_000_000)
    title = rng.choice(("Реконструкция и рехабилитация на улици", "Енергийна ефективност в общински сгради",
                        "Подобряване на социалната инфраструктура", "Изграждане на център за деца",
                        "Обновяване на градската среда"))
    lines = [f"# Проект „{title} в Община {town}“", "",
             f"Община {town} изпълнява проект № {code} „{title} в Община {town}“, финансиран по "
             f"{prog_name}.", "",
             f"Бенефициент: Община {town}", f"Обща стойност на проекта: {total} лв.",
             f"Начало: {_date(start)}", f"Край: {_date(end)}", "",
             f"Ръководител на проекта е {_person(rng, g)}, а координатор – {_person(rng, g)}.", ""]
    if i % 3 == 0:
        lines += ["@table cols=60,40 align=L,R", "| Източник | Сума (лв.) |",
                  f"| Европейски фонд | {_money(rng, 40_000, 7_000_000)} |",
                  f"| Национално съфинансиране | {_money(rng, 5_000, 900_000)} |",
                  f"| Собствен принос | {_money(rng, 1_000, 300_000)} |", ""]
    lines += ["Проектът се осъществява с финансовата подкрепа на Европейския съюз."]
    return "\n".join(lines), f"Проект {code}"


GENERATORS = {"protocol": protocol, "decision": decision, "project": project}


def document(seed: int, i: int, g: Gazetteers) -> tuple[str, str, str, str]:
    """Document ``i``: (file stem, format, block markup, title); independent of the corpus size."""
    rng = random.Random(seed * 1_000_003 + i)
    kind = _weighted(rng, KINDS)
    fmt = _weighted(rng, FORMATS)
    body, title = GENERATORS[kind](rng, g, i)
    return f"{i:06d}_{kind}", fmt, body, title


def plain_text(body: str) -> str:
    """The block markup as a plain-text document (tables as tab-separated rows)."""
    out = []
    for line in body.splitlines():
        if line.startswith("@table") or line == "---page---":
            out.append("\f" if line == "---page---" else "")
            continue
        if line.startswith("|"):
            out.append("\t".join(c.strip() for c in line.strip("|").split("|")))
            continue
        out.append(line.lstrip("#^>! ").strip())
    return "\n".join(out)


def html_page(body: str, title: str) -> str:
    """The block markup as a municipal web page: header, menu, article, footer."""
    parts, table = [], []

    def flush_table():
        if table:
            rows = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in table)
            parts.append(f"<table>{rows}</table>")
            table.clear()

    for line in body.splitlines():
        if line.startswith("|"):
            table.append([c.strip() for c in line.strip("|").split("|")])
            continue
        flush_table()
        if not line.strip() or line.startswith("@table") or line == "---page---":
            continue
        tag = "h1" if line.startswith("# ") else "h2" if line.startswith(("## ", "### ")) else "p"
        parts.append(f"<{tag}>{html.escape(line.lstrip('#^>! ').strip())}</{tag}>")
    flush_table()
    return ("<!DOCTYPE html><html lang=\"bg\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title></head><body><header><nav><a href=\"/\">Начало</a> "
            "<a href=\"/obs\">Общински съвет</a> <a href=\"/proekti\">Проекти</a></nav></header>"
            f"<main><article>{''.join(parts)}</article></main><footer>© Общинска администрация</footer>"
            "</body></html>")


def write_document(folder: Path, seed: int, i: int, g: Gazetteers, render) -> Path:
    stem, fmt, body, title = document(seed, i, g)
    out = folder / f"{stem}.{fmt}"
    if out.exists():
        return out
    if fmt == "txt":
        out.write_text(plain_text(body), encoding="utf-8")
    elif fmt == "html":
        out.write_text(html_page(body, title), encoding="utf-8")
    else:
        header = f"@format: {fmt}\n@title: {title}\n@author: Общинска администрация\n@created: 2024-01-01T09:00:00\n"
        source = render.parse_source_text(header + body, Path(f"{stem}.txt"))
        (render.render_pdf if fmt == "pdf" else render.render_docx)(source, out)
    return out


def _write_range(folder: Path, seed: int, start: int, stop: int) -> list[Path]:
    g, render = Gazetteers.load(), _load_render()
    return [write_document(folder, seed, i, g, render) for i in range(start, stop)]


def generate(folder: Path, documents: int, seed: int = 7, jobs: int = 1) -> list[Path]:
    """Write documents ``0 .. documents-1`` into ``folder`` (existing ones are kept); their paths.

    ``jobs`` processes render in parallel (fpdf2 takes a few hundred milliseconds a PDF).
    """
    folder.mkdir(parents=True, exist_ok=True)
    if jobs <= 1:
        return _write_range(folder, seed, 0, documents)
    from concurrent.futures import ProcessPoolExecutor

    chunk = 250
    with ProcessPoolExecutor(jobs) as pool:
        parts = pool.map(_write_range, *zip(*[(folder, seed, start, min(start + chunk, documents))
                                              for start in range(0, documents, chunk)]))
        return [path for part in parts for path in part]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--documents", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--jobs", type=int, default=1, help="processes that render in parallel")
    args = parser.parse_args(argv)
    paths = generate(args.folder, args.documents, args.seed, args.jobs)
    print(f"{len(paths)} documents in {args.folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
