"""Invariants of the gazetteer / rules data files under models/gazetteer/."""

from __future__ import annotations

import csv
import re
import unicodedata
from collections import Counter
from pathlib import Path

import pytest

GAZ = Path(__file__).resolve().parents[1] / "models" / "gazetteer"

LATIN = re.compile(r"[A-Za-z]")
CYRILLIC = re.compile(r"[\u0400-\u04FF]")
WORD = re.compile(r"[^\W\d_]+")
CYR_NAME = re.compile(r"[А-Я][а-яѝ]+")

ROLE_KINDS = {"chair", "deputy", "member", "secretary", "mayor", "councillor",
              "official", "project", "guest", "other"}
FORM_KINDS = {"municipality", "council", "association", "foundation", "company",
              "school", "ministry", "other"}

# Municipalities per region (област), official NSI/EKATTE grouping.
REGION_SIZES = {
    "Благоевград": 14, "Бургас": 13, "Варна": 12, "Велико Търново": 10, "Видин": 11,
    "Враца": 10, "Габрово": 4, "Добрич": 8, "Кърджали": 7, "Кюстендил": 9, "Ловеч": 8,
    "Монтана": 11, "Пазарджик": 12, "Перник": 6, "Плевен": 11, "Пловдив": 18,
    "Разград": 7, "Русе": 8, "Силистра": 7, "Сливен": 4, "Смолян": 10,
    "София-град": 1, "София": 22, "Стара Загора": 11, "Търговище": 5, "Хасково": 11,
    "Шумен": 10, "Ямбол": 5,
}

ALL_FILES = ["municipalities.tsv", "first_names.txt", "first_names_ambiguous.txt",
             "titles.txt", "roles.tsv", "programmes.tsv", "programme_names.tsv",
             "legal_forms.tsv"]


def read_tsv(name: str) -> tuple[list[str], list[dict[str, str]]]:
    with open(GAZ / name, encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        rows = list(reader)
        header = reader.fieldnames or []
    for row in rows:
        assert None not in row, f"{name}: too many fields in {row}"
        assert all(v is not None for v in row.values()), f"{name}: too few fields in {row}"
    return list(header), rows


def read_lines(name: str) -> list[str]:
    return (GAZ / name).read_text(encoding="utf-8").splitlines()


# --------------------------------------------------------------------------- generic


@pytest.mark.parametrize("name", ALL_FILES)
def test_file_encoding_and_hygiene(name):
    raw = (GAZ / name).read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf"), "no BOM"
    assert b"\r" not in raw, "LF line endings only"
    text = raw.decode("utf-8")
    assert text.endswith("\n")
    assert unicodedata.normalize("NFC", text) == text, "text must be NFC"
    for i, line in enumerate(text.splitlines(), 1):
        assert line.strip(), f"{name}:{i}: blank line"
        assert line == line.strip(" \u00a0"), f"{name}:{i}: stray whitespace"
        assert "  " not in line, f"{name}:{i}: double space"
        for field in line.split("\t"):
            assert field == field.strip(), f"{name}:{i}: field padded with spaces"


@pytest.mark.parametrize("name", ALL_FILES)
def test_no_mixed_script_words(name):
    """No Latin homoglyphs inside Cyrillic words (e.g. a Latin 'o' in 'Кочериновo')."""
    text = (GAZ / name).read_text(encoding="utf-8")
    for word in WORD.findall(text):
        assert not (LATIN.search(word) and CYRILLIC.search(word)), f"{name}: mixed-script {word!r}"


@pytest.mark.parametrize("name,columns", [
    ("municipalities.tsv", None), ("first_names.txt", None),
    ("first_names_ambiguous.txt", None), ("titles.txt", None), ("roles.tsv", ["role"]),
])
def test_cyrillic_only_files_have_no_latin(name, columns):
    if name.endswith(".tsv"):
        _, rows = read_tsv(name)
        values = [v for r in rows for k, v in r.items() if columns is None or k in columns]
    else:
        values = read_lines(name)
    bad = [v for v in values if LATIN.search(v)]
    assert not bad, f"{name}: Latin letters in {bad[:5]}"


# --------------------------------------------------------------------------- municipalities


def test_municipalities():
    header, rows = read_tsv("municipalities.tsv")
    assert header == ["name", "region", "centre", "aliases"]
    assert len(rows) == 265
    regions = Counter(r["region"] for r in rows)
    assert len(regions) == 28
    assert dict(regions) == REGION_SIZES
    for r in rows:
        for col in ("name", "region", "centre"):
            assert r[col], f"blank {col} in {r}"
        if r["aliases"]:
            aliases = r["aliases"].split("|")
            assert all(aliases), f"empty alias in {r}"
            assert len(set(aliases)) == len(aliases), f"duplicate alias in {r}"
            assert r["name"] not in aliases
    pairs = Counter((r["name"], r["region"]) for r in rows)
    assert not [p for p, c in pairs.items() if c > 1], "name must be unique within region"
    # The only name shared by two municipalities: Бяла (Варна) and Бяла (Русе).
    dup_names = {n for n, c in Counter(r["name"] for r in rows).items() if c > 1}
    assert dup_names == {"Бяла"}
    assert {r["region"] for r in rows if r["name"] == "Бяла"} == {"Варна", "Русе"}


def test_municipality_spot_checks():
    _, rows = read_tsv("municipalities.tsv")
    by_key = {(r["name"], r["region"]): r for r in rows}
    expected = {
        ("Столична", "София-град"): "София",
        ("Добричка", "Добрич"): "Добрич",
        ("Добрич", "Добрич"): "Добрич",
        ("Родопи", "Пловдив"): "Пловдив",
        ("Марица", "Пловдив"): "Пловдив",
        ("Тунджа", "Ямбол"): "Ямбол",
        ("Ихтиман", "София"): "Ихтиман",
        ("Иваново", "Русе"): "Иваново",
        ("Кочериново", "Кюстендил"): "Кочериново",
        ("Сърница", "Пазарджик"): "Сърница",
        ("Перущица", "Пловдив"): "Перущица",
        ("Пещера", "Пазарджик"): "Пещера",
        ("Баните", "Смолян"): "Баните",
        ("Антоново", "Търговище"): "Антоново",
    }
    for key, centre in expected.items():
        assert key in by_key, key
        assert by_key[key]["centre"] == centre
    # every region has a municipality of the same name, except the two Sofias
    names_by_region = {}
    for r in rows:
        names_by_region.setdefault(r["region"], set()).add(r["name"])
    for region, names in names_by_region.items():
        if region not in {"София", "София-град"}:
            assert region in names, region
    assert "Добрич-селска" in by_key[("Добричка", "Добрич")]["aliases"].split("|")


def test_municipality_aliases_do_not_shadow_other_municipalities():
    _, rows = read_tsv("municipalities.tsv")
    names = {r["name"] for r in rows}
    for r in rows:
        for alias in filter(None, r["aliases"].split("|")):
            assert alias not in names - {r["name"]}, f"alias {alias!r} of {r['name']} is another municipality"


# --------------------------------------------------------------------------- names


def test_first_names():
    names = read_lines("first_names.txt")
    assert len(names) >= 700
    dups = [n for n, c in Counter(names).items() if c > 1]
    assert not dups, dups
    for n in names:
        assert CYR_NAME.fullmatch(n), n
    for must in ("Иван", "Мария", "Светозар", "Любка", "Даниела", "Евгения", "Венцислав",
                 "Кирил", "Стоян", "Деана", "Цветанка", "Ружа", "Младен", "Бойко",
                 "Радослав", "Калин", "Гергана", "Десислава", "Йорданка", "Ваня", "Петя",
                 "Николай", "Пламен", "Росица", "Ахмед", "Мехмед", "Айше", "Фатме",
                 "Севгюл", "Сезгин", "Джевдет", "Хасан", "Юксел"):
        assert must in names, must


def test_first_names_ambiguous():
    amb = read_lines("first_names_ambiguous.txt")
    assert amb
    assert len(set(amb)) == len(amb)
    for n in amb:
        assert CYR_NAME.fullmatch(n), n
    # disjoint: the main list holds names that are safe without further context
    assert not set(amb) & set(read_lines("first_names.txt"))
    for word in ("Надежда", "Вяра", "Любов", "Слава", "Роза"):
        assert word in amb


# --------------------------------------------------------------------------- titles / roles


def test_titles():
    titles = read_lines("titles.txt")
    assert len(set(titles)) == len(titles)
    for t in titles:
        assert t == t.lower(), t
    for must in ("д-р", "инж.", "проф.", "доц.", "арх.", "адв.", "г-н", "г-жа", "г-ца",
                 "гл. ас.", "ас.", "акад.", "магистър", "м-р", "д-р.", "г–н"):
        assert must in titles, must


def test_roles():
    header, rows = read_tsv("roles.tsv")
    assert header == ["role", "kind"]
    assert len(rows) >= 80
    roles = [r["role"] for r in rows]
    assert len(set(roles)) == len(roles), [x for x, c in Counter(roles).items() if c > 1]
    for r in rows:
        assert r["role"] and r["role"] == r["role"].lower(), r
        assert r["kind"] in ROLE_KINDS, r
    kinds = {r["role"]: r["kind"] for r in rows}
    assert kinds["председател"] == "chair"
    assert kinds["заместник-кмет"] == "deputy"
    assert kinds["кмет"] == "mayor"
    assert kinds["общински съветник"] == "councillor"
    assert kinds["протоколист"] == "secretary"
    assert kinds["ръководител на проекта"] == "project"
    assert set(kinds.values()) == ROLE_KINDS


# --------------------------------------------------------------------------- programmes


def test_programmes():
    header, rows = read_tsv("programmes.tsv")
    assert header == ["prefix", "name", "short", "period"]
    prefixes = [r["prefix"] for r in rows]
    assert len(set(prefixes)) == len(prefixes)
    for r in rows:
        assert re.fullmatch(r"[A-Z0-9-]+", r["prefix"]), r
        assert r["name"] and r["short"], r
        assert re.fullmatch(r"(20\d\d)-(20\d\d)", r["period"]), r
        start, end = map(int, r["period"].split("-"))
        assert start < end
        assert '"' not in r["name"] and r["name"].count("„") == r["name"].count("“"), r
    by = {r["prefix"]: r for r in rows}
    assert by["BG05SFOP"]["short"] == "ОПДУ"
    assert by["BG16RFOP002"]["short"] == "ОПИК"
    assert by["BG16RFOP"]["short"] == "ОПРР"
    assert by["BG06RDNP001-19"]["short"] == "ПРСР"
    assert by["BG051PO002"]["short"] == "ОПАК"
    assert by["BG16FFPR003"]["short"] == "ПРР"
    assert by["BG-RRP"]["short"] == "НПВУ"


def _longest_prefix(code: str, rows):
    best = None
    for r in rows:
        if code.startswith(r["prefix"]) and (best is None or len(r["prefix"]) > len(best["prefix"])):
            best = r
    return best


@pytest.mark.parametrize("code,short", [
    ("BG05SFOP001-2.025-0108-C01", "ОПДУ"),
    ("BG16FFPR003-2.001-0047-C01", "ПРР"),
    ("BG06RDNP001-7.007-0025-C01", "ПРСР"),
    ("BG06RDNP001-19.073-0001", "ПРСР"),
    ("BG16RFOP002-2.001-0001", "ОПИК"),
    ("BG16RFOP001-1.001-0001", "ОПРР"),
    ("BG16M1OP002-1.010-0001", "ОПОС"),
    ("BG051PO001-3.1.03-0001", "ОП РЧР"),
    ("BG161PO002-3.3.02-0017-C0001", "ОПТП"),
    ("BG-RRP-1.004-0001", "НПВУ"),
])
def test_programme_longest_prefix(code, short):
    _, rows = read_tsv("programmes.tsv")
    assert _longest_prefix(code, rows)["short"] == short


# Canonical names used only in programme_names.tsv (no ISUN prefix of their own).
NAMES_WITHOUT_PREFIX = {
    "Програма „Техническа помощ“",
    "Стратегически план за развитие на земеделието и селските райони",
    "Норвежки финансов механизъм",
    "Финансов механизъм на Европейското икономическо пространство",
}


def test_programme_names():
    header, rows = read_tsv("programme_names.tsv")
    assert header == ["pattern", "name"]
    patterns = [r["pattern"] for r in rows]
    assert len(set(patterns)) == len(patterns)
    _, prows = read_tsv("programmes.tsv")
    canonical = {r["name"] for r in prows} | NAMES_WITHOUT_PREFIX
    for r in rows:
        p = r["pattern"]
        assert p and p == p.lower(), r
        assert not set(p) & set("„“\"”«»'"), f"quotes in pattern {p!r}"
        assert r["name"] in canonical, r
    for must in ("административен капацитет", "добро управление", "развитие на човешките ресурси",
                 "региони в растеж", "наука и образование за интелигентен растеж",
                 "програма за развитие на селските райони", "прср", "опду", "опрр",
                 "оп рчр", "опак"):
        assert must in patterns, must


# --------------------------------------------------------------------------- legal forms


def test_legal_forms():
    header, rows = read_tsv("legal_forms.tsv")
    assert header == ["form", "kind", "canonical"]
    forms = [r["form"] for r in rows]
    assert len(set(forms)) == len(forms), [x for x, c in Counter(forms).items() if c > 1]
    for r in rows:
        assert r["form"] and r["form"] == r["form"].lower(), r
        assert r["kind"] in FORM_KINDS, r
        assert not set(r["form"]) & set("„“\""), r
    kinds = {r["form"]: r["kind"] for r in rows}
    expected = {"община": "municipality", "общински съвет": "council", "обс": "council",
                "сдружение": "association", "фондация": "foundation", "оод": "company",
                "еоод": "company", "ад": "company", "еад": "company", "ет": "company",
                "дззд": "company", "нч": "other", "су": "school", "оу": "school",
                "дг": "school", "юзу": "school", "министерство": "ministry",
                "областна администрация": "other"}
    for form, kind in expected.items():
        assert kinds[form] == kind, form
    assert set(kinds.values()) == FORM_KINDS
