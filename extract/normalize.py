"""Text normalisation that keeps evidence offsets honest.

Only character-for-character substitutions happen after NFC, so an offset into the normalised
text always points at the same visible character as in the NFC text.
"""
from __future__ import annotations

import re
import unicodedata

# Latin letters that print like Cyrillic ones, and back.
LATIN_TO_CYRILLIC = str.maketrans("AaBCcEeHKMOoPpTXxy", "АаВСсЕеНКМОоРрТХху")
CYRILLIC_TO_LATIN = str.maketrans("АаВСсЕеНКМОоРрТХху", "AaBCcEeHKMOoPpTXxy")
_LOOKALIKE_LATIN = set("AaBCcEeHKMOoPpTXxy")
_LOOKALIKE_CYRILLIC = set("АаВСсЕеНКМОоРрТХху")

# A whole word (a run of letters and digits) holding both a Cyrillic and a Latin letter: the only words
# ``fix_mixed_script_word`` can change, so the others never reach Python code.
_MIXED_WORD = re.compile(r"(?<![^\W_])(?=[^\W_]*?[\u0400-\u04FF])(?=[^\W_]*?[A-Za-z])[^\W_]+")
_CYRILLIC = re.compile(r"[\u0400-\u04FF]")
_LATIN = re.compile(r"[A-Za-z]")


def is_cyrillic(ch: str) -> bool:
    """True for a letter of the Cyrillic block."""
    return "\u0400" <= ch <= "\u04ff"


def fix_mixed_script_word(word: str) -> str:
    """Repair a word that mixes Cyrillic and Latin look-alike letters.

    A word with a letter that only Cyrillic has (б, щ, ...) is Cyrillic: its Latin look-alikes
    become Cyrillic (``Oбщина`` → ``Община``). A word with a letter only Latin has (G, S, F, ...)
    is Latin: its Cyrillic look-alikes become Latin (``BG05M9ОР001`` → ``BG05M9OP001``).
    Words with only look-alikes on both sides go by majority; a tie is left alone.
    """
    if not (_CYRILLIC.search(word) and _LATIN.search(word)):
        return word
    letters = [c for c in word if c.isalpha()]
    own_cyrillic = any(is_cyrillic(c) and c not in _LOOKALIKE_CYRILLIC for c in letters)
    own_latin = any(c.isascii() and c not in _LOOKALIKE_LATIN for c in letters)
    if own_cyrillic and not own_latin:
        return word.translate(LATIN_TO_CYRILLIC)
    if own_latin and not own_cyrillic:
        return word.translate(CYRILLIC_TO_LATIN)
    if own_cyrillic or own_latin:
        return word
    cyrillic = sum(1 for c in letters if is_cyrillic(c))
    latin = len(letters) - cyrillic
    if cyrillic > latin:
        return word.translate(LATIN_TO_CYRILLIC)
    if latin > cyrillic:
        return word.translate(CYRILLIC_TO_LATIN)
    return word


def normalize_text(text: str) -> str:
    """NFC, line ends as ``\\n``, NULs dropped, mixed-script words repaired; other whitespace kept."""
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    return _MIXED_WORD.sub(lambda m: fix_mixed_script_word(m.group(0)), text)


class CharMap:
    """A one-for-one character substitution, equal to ``str.translate`` with the same mapping.

    ``str.translate`` with a dict looks up every character and pays for a failed lookup on each
    one it keeps, which on a page of text costs more than a regex pass; one ``str.replace`` per
    mapped character that occurs is several times cheaper.
    """

    def __init__(self, mapping: dict[str, str]):
        self.pairs = tuple((old, new) for old, new in mapping.items() if old != new)
        # Replacing one character after another equals one simultaneous translation only when
        # no replacement is itself replaced later.
        if {new for _, new in self.pairs} & {old for old, _ in self.pairs}:
            raise ValueError("a replacement character is also mapped")

    def __call__(self, text: str) -> str:
        for old, new in self.pairs:
            if old in text:
                text = text.replace(old, new)
        return text


_TO_LATIN_LOOKALIKES = CharMap({chr(cyrillic): chr(latin) for cyrillic, latin in CYRILLIC_TO_LATIN.items()})


def to_latin_lookalikes(text: str) -> str:
    """Map Cyrillic look-alike letters to Latin (for comparing codes such as ``ВG05...``)."""
    return _TO_LATIN_LOOKALIKES(text)
