"""Keep ``corpus/manifest.csv`` in step with the files: one row per document, sha256 always current.

Rows already in the manifest keep their source URL, municipality, retrieval date and origin;
new files get a row (municipality from their gold file when there is one); rows of files that
are gone are dropped. Writing is deterministic (sorted by file name), so a re-run changes nothing.
"""
from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

from index.build import sha256_file
from index.load import read_manifest

COLUMNS = ("file", "source_url", "municipality", "retrieved", "sha256", "origin")


def _gold_municipality(gold_dir: Path | None, stem: str) -> str:
    if gold_dir is None or not (gold_dir / f"{stem}.json").exists():
        return ""
    value = json.loads((gold_dir / f"{stem}.json").read_text(encoding="utf-8")).get("municipality")
    return (value[0] if isinstance(value, list) else value) or ""


def manifest_rows_for(documents_dir: Path, manifest: Path, gold_dir: Path | None = None,
                      today: str | None = None) -> list[dict[str, str]]:
    """The manifest rows the corpus should have, merging what the manifest already says."""
    existing = read_manifest(manifest) if manifest.exists() else {}
    today = today or dt.date.today().isoformat()
    rows = []
    for path in sorted(p for p in documents_dir.iterdir() if p.is_file() and not p.name.startswith(".")):
        old = existing.get(path.name, {})
        rows.append({
            "file": f"{documents_dir.name}/{path.name}",
            "source_url": old.get("source_url", ""),
            "municipality": old.get("municipality") or _gold_municipality(gold_dir, path.stem),
            "retrieved": old.get("retrieved") or today,
            "sha256": sha256_file(path),
            "origin": old.get("origin", ""),
        })
    return rows


def write_manifest(rows: list[dict[str, str]], manifest: Path) -> None:
    """Write manifest rows as CSV with a fixed column order."""
    with manifest.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
