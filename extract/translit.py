"""Bulgarian transliteration (the official Streamlined System, 2009) in both directions."""
from __future__ import annotations

_TO_LATIN = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ж": "zh", "з": "z", "и": "i", "й": "y",
    "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u",
    "ф": "f", "х": "h", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "sht", "ъ": "a", "ь": "y", "ю": "yu", "я": "ya",
    "ѝ": "i",
}
# Longest first: digraphs before single letters. Several spellings are common in practice
# (DJ for дж, IU/YU for ю, IA/YA for я, U for ю after consonants in older passports).
_TO_CYRILLIC = [
    ("sht", "щ"), ("dzh", "дж"), ("zh", "ж"), ("ch", "ч"), ("sh", "ш"), ("ts", "ц"), ("tz", "ц"),
    ("yu", "ю"), ("iu", "ю"), ("ju", "ю"), ("ya", "я"), ("ia", "я"), ("ja", "я"), ("dj", "дж"),
    ("a", "а"), ("b", "б"), ("v", "в"), ("w", "в"), ("g", "г"), ("d", "д"), ("e", "е"), ("z", "з"), ("i", "и"),
    ("y", "й"), ("j", "й"), ("k", "к"), ("l", "л"), ("m", "м"), ("n", "н"), ("o", "о"), ("p", "п"),
    ("r", "р"), ("s", "с"), ("t", "т"), ("u", "у"), ("f", "ф"), ("h", "х"), ("c", "ц"), ("q", "к"), ("x", "кс"),
]


def to_latin(text: str) -> str:
    """``Любка Джонова`` → ``Lyubka Dzhonova``."""
    out = []
    for ch in text:
        low = ch.lower()
        latin = _TO_LATIN.get(low)
        if latin is None:
            out.append(ch)
        else:
            out.append(latin.capitalize() if ch != low else latin)
    return "".join(out)


def to_cyrillic(text: str) -> str:
    """``LUBKA DJONOVA`` → ``Лубка Джонова`` (a best guess; compare with fuzzy matching)."""
    out, i, lower = [], 0, text.lower()
    while i < len(text):
        for latin, cyrillic in _TO_CYRILLIC:
            if lower.startswith(latin, i):
                piece = cyrillic
                if text[i].isupper():
                    piece = piece[0].upper() + piece[1:]
                out.append(piece)
                i += len(latin)
                break
        else:
            out.append(text[i])
            i += 1
    result = "".join(out)
    # Word-final "ий" is written "iy"/"ii"; "ия" endings come out right from "ia"/"iya".
    return result.replace("ийа", "ия")
