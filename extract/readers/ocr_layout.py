"""Geometry of a scanned page for OCR: straighten it, and find tables drawn with ruling lines.

A scanned table has no text layer for the table reader to use, so its grid is found in the image:
long ink runs along rows are horizontal rules, along columns vertical ones; two horizontal rules
with at least two vertical rules spanning the band between them make a table row, and each gap
between neighbouring vertical rules is a cell. The cells are then cut out and stacked for OCR
(``stack_cells``), and the page is read around the tables (``blank_out``). All lengths are in
inches, so they hold at any rendering resolution.
"""
from __future__ import annotations

from dataclasses import dataclass

MAX_SKEW_DEGREES = 2.0          # search range of the skew estimate
SKEW_STEP_DEGREES = 0.1         # coarse search step, then refined ...
SKEW_FINE_STEP_DEGREES = 0.02   # ... around the best coarse angle
MIN_DESKEW_DEGREES = 0.1        # smaller skews are left alone
SKEW_SAMPLE_WIDTH = 1000        # pixels: the skew is measured on the page reduced to about this width
INK_LEVEL = 180                 # grey below this is ink: thin rules scan light grey
MIN_HORIZONTAL_RULE = 0.6       # inches
MIN_VERTICAL_RULE = 0.2         # inches; taller than any letter stroke
RULE_TOLERANCE = 0.04           # inches: rules this close are one rule; grid joints may miss by this
CELL_INSET = 0.02               # inches cut off each side of a cell, so no rule is left in it
CELL_GAP = 0.15                 # inches of white between stacked cells


@dataclass(frozen=True)
class Rule:
    """A ruling line: ``position`` across it, ``start``..``end`` along it (pixels)."""

    position: int
    start: int
    end: int


@dataclass(frozen=True)
class Cell:
    """A table cell: the box inside its rules (pixels)."""

    left: int
    top: int
    right: int
    bottom: int


@dataclass(frozen=True)
class Grid:
    """A ruled table: rows of cells, and the box around them."""

    rows: tuple[tuple[Cell, ...], ...]

    @property
    def top(self) -> int:
        return self.rows[0][0].top

    @property
    def bottom(self) -> int:
        return self.rows[-1][0].bottom


def _sharpness(ys, xs, angle: float) -> float:
    import numpy as np

    rows = np.round(ys + xs * np.tan(np.radians(angle))).astype(np.int64)
    counts = np.bincount(rows - rows.min())
    return float(np.dot(counts, counts))


def skew_angle(image) -> float:
    """The rotation (degrees, Pillow's sense) that makes the text lines of a grey page level.

    Each ink pixel is projected onto the rows along a trial slope; text lines give the sharpest
    peaks (the largest sum of squared row counts) when the slope is theirs. Projecting points
    instead of rotating the image keeps resampling from biasing the estimate.
    """
    import numpy as np

    image = image.convert("L")
    factor = max(1, round(image.width / SKEW_SAMPLE_WIDTH))
    small = image.reduce(factor) if factor > 1 else image
    ys, xs = np.nonzero(np.asarray(small) < INK_LEVEL)
    if len(ys) == 0:
        return 0.0
    ys, xs = ys.astype(np.float64), xs.astype(np.float64)
    coarse = np.arange(-MAX_SKEW_DEGREES, MAX_SKEW_DEGREES + 1e-9, SKEW_STEP_DEGREES)
    best = max(coarse, key=lambda a: _sharpness(ys, xs, a))
    fine = np.arange(best - SKEW_STEP_DEGREES, best + SKEW_STEP_DEGREES + 1e-9, SKEW_FINE_STEP_DEGREES)
    slope = round(float(max(fine, key=lambda a: _sharpness(ys, xs, a))), 2)
    return -slope if slope else 0.0


def deskew(image):
    """The page turned level (white fill); the image itself when it is level already."""
    from PIL import Image

    angle = skew_angle(image)
    if abs(angle) < MIN_DESKEW_DEGREES:
        return image
    return image.rotate(angle, resample=Image.BICUBIC, fillcolor=255)


def _runs(line, min_length: int) -> list[tuple[int, int]]:
    import numpy as np

    edges = np.diff(np.concatenate(([0], line.astype(np.int8), [0])))
    starts, ends = np.nonzero(edges == 1)[0], np.nonzero(edges == -1)[0]
    return [(int(s), int(e)) for s, e in zip(starts, ends) if e - s >= min_length]


def _merge(segments: list[tuple[int, int, int]], tolerance: int) -> list[Rule]:
    """Segments on neighbouring rows (or columns) that overlap are one thick rule."""
    groups: list[list[tuple[int, int, int]]] = []
    for position, start, end in sorted(segments):
        for group in groups:
            last = group[-1]
            if position - last[0] <= tolerance and start < max(g[2] for g in group) and end > min(g[1] for g in group):
                group.append((position, start, end))
                break
        else:
            groups.append([(position, start, end)])
    return [Rule(position=round(sum(g[0] for g in group) / len(group)), start=min(g[1] for g in group),
                 end=max(g[2] for g in group)) for group in groups]


def find_rules(ink, min_length: int, tolerance: int) -> list[Rule]:
    """Horizontal rules of a boolean ink array (transpose it for vertical ones)."""
    import numpy as np

    band = ink.copy()
    band[1:] |= ink[:-1]  # a band of three rows absorbs what is left of the slant after deskewing
    band[:-1] |= ink[1:]
    segments = [(int(y), s, e) for y in np.nonzero(band.sum(axis=1) >= min_length)[0]
                for s, e in _runs(band[y], min_length)]
    return _merge(segments, tolerance)


def _dedupe(values: list[int], tolerance: int) -> list[int]:
    out: list[int] = []
    for value in sorted(values):
        if not out or value - out[-1] > tolerance:
            out.append(value)
    return out


def _collapse(rules: list[Rule], tolerance: int) -> list[Rule]:
    """Rules at the same position (pieces of one line broken by noise) as one, sorted."""
    out: list[Rule] = []
    for rule in sorted(rules, key=lambda r: r.position):
        if out and rule.position - out[-1].position <= tolerance:
            last = out.pop()
            rule = Rule(last.position, min(last.start, rule.start), max(last.end, rule.end))
        out.append(rule)
    return out


def grids_from_rules(horizontal: list[Rule], vertical: list[Rule], tolerance: int) -> list[Grid]:
    """Tables from ruling lines: each band between two horizontal rules that at least two vertical
    rules span is a row; rows that share a rule belong to one table."""
    rules = _collapse(horizontal, tolerance)
    grids, current = [], []
    for upper, lower in zip(rules, rules[1:]):
        left, right = max(upper.start, lower.start) - tolerance, min(upper.end, lower.end) + tolerance
        xs = _dedupe([v.position for v in vertical if v.start <= upper.position + tolerance
                      and v.end >= lower.position - tolerance and left <= v.position <= right], tolerance)
        if len(xs) >= 2:
            current.append(tuple(Cell(a, upper.position, b, lower.position) for a, b in zip(xs, xs[1:])))
            continue
        if current:
            grids.append(Grid(tuple(current)))
        current = []
    if current:
        grids.append(Grid(tuple(current)))
    return grids


def find_grids(image, dpi: int) -> list[Grid]:
    """The ruled tables of a level grey page image."""
    import numpy as np

    ink = np.asarray(image.convert("L")) < INK_LEVEL
    tolerance = max(2, round(RULE_TOLERANCE * dpi))
    horizontal = find_rules(ink, round(MIN_HORIZONTAL_RULE * dpi), tolerance)
    if len(horizontal) < 2:
        return []
    vertical = find_rules(ink.T, round(MIN_VERTICAL_RULE * dpi), tolerance)
    return grids_from_rules(horizontal, vertical, tolerance)


def blank_out(image, grids: list[Grid], dpi: int):
    """A copy of the page with the tables painted white, for reading the text around them."""
    from PIL import ImageDraw

    margin = round(RULE_TOLERANCE * dpi)
    clean = image.copy()
    draw = ImageDraw.Draw(clean)
    for grid in grids:
        left = min(row[0].left for row in grid.rows)
        right = max(row[-1].right for row in grid.rows)
        draw.rectangle((left - margin, grid.top - margin, right + margin, grid.bottom + margin), fill=255)
    return clean


@dataclass(frozen=True)
class Slot:
    """Where one table cell sits in the stacked image: table, row and column, and its rows of pixels."""

    table: int
    row: int
    column: int
    top: int
    bottom: int


def stack_cells(image, grids: list[Grid], dpi: int):
    """Every cell of the tables cut out (inside its rules) and stacked one under another on a white
    page, and where each landed. Read as one image, no line of text can run across a column rule,
    which is how Tesseract mangles table rows read in place."""
    from PIL import Image

    inset, gap = round(CELL_INSET * dpi), round(CELL_GAP * dpi)
    crops, slots, cursor = [], [], gap
    for t, grid in enumerate(grids):
        for r, row in enumerate(grid.rows):
            for c, cell in enumerate(row):
                box = (cell.left + inset, cell.top + inset, cell.right - inset, cell.bottom - inset)
                if box[2] <= box[0] or box[3] <= box[1]:
                    continue
                crop = image.crop(box)
                crops.append((cursor, crop))
                slots.append(Slot(t, r, c, cursor, cursor + crop.height))
                cursor += crop.height + gap
    width = max((crop.width for _, crop in crops), default=1) + 2 * gap
    stacked = Image.new("L", (width, cursor), 255)
    for top, crop in crops:
        stacked.paste(crop, (gap, top))
    return stacked, slots
