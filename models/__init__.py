"""Rules, gazetteers and statistical models used by the extractors, kept as data files."""
from __future__ import annotations

from pathlib import Path

MODELS_DIR = Path(__file__).resolve().parent


def data_path(*parts: str) -> Path:
    """Path of a data file shipped under ``models/``."""
    return MODELS_DIR.joinpath(*parts)
