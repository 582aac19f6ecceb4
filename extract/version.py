"""The extractor version: a digest of the extractor's code and of the rule and model files it reads.

Kept apart from the pipeline so that a build can tell whether its stored results are current
without loading the extractors (spaCy, the readers, the models): a re-run over an unchanged
corpus never extracts anything.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

from extract.privacy import redact_contacts_enabled, version_tag

RULES_VERSION = "0.2"
DIGESTED_SUFFIXES = (".py", ".tsv", ".txt", ".json", ".jsonl", ".gz", ".npz")


def rules_digest() -> str:
    """A digest of the extractor code and the rule and model files it reads.

    Any change to a rule, a gazetteer or the classifier changes the extractor version, so the
    next ``letopis build`` re-extracts everything instead of keeping results of older rules.
    """
    from models import MODELS_DIR

    roots = [Path(__file__).resolve().parent, MODELS_DIR]
    digest = hashlib.sha256()
    for root in roots:
        for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts
                           and p.suffix in DIGESTED_SUFFIXES):
            digest.update(path.relative_to(root).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


REDACT_CONTACTS = redact_contacts_enabled()
"""``LETOPIS_REDACT_CONTACTS=1`` when this process started: private e-mail addresses and mobile numbers are masked."""
EXTRACTOR_VERSION = f"{RULES_VERSION}+{rules_digest()}{version_tag(REDACT_CONTACTS)}"
