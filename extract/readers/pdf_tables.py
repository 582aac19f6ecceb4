"""Ruled tables of a PDF page: pdfplumber's table finder fed with pypdfium2's geometry.

pdfplumber finds a table from the page's ruling lines: it snaps and joins the straight edges,
intersects them and groups the smallest cells into tables. That algorithm is cheap; what costs
about a quarter of a second per page is pdfminer parsing every character and path of the page
into Python objects first. Here the edges come from the path objects pypdfium2 already has
open (a few ctypes calls per segment), pdfplumber's own functions do the table finding with
its default "lines" settings, and each cell's text is read by pypdfium2 from the cell's
rectangle. The output has pdfplumber's shape: a list of tables, each a list of rows of cell
strings, with ``None`` for the columns a merged cell covers.
"""
from __future__ import annotations

import ctypes
from dataclasses import dataclass

# pdfplumber's defaults for the "lines" strategy (TableSettings), kept in one place.
SNAP_TOLERANCE = 3.0
JOIN_TOLERANCE = 3.0
EDGE_MIN_LENGTH = 3.0
EDGE_MIN_LENGTH_PREFILTER = 1.0
INTERSECTION_TOLERANCE = 3.0
# A segment this close to axis-aligned (in points) is a ruling line; anything else is drawing.
AXIS_TOLERANCE = 0.01


@dataclass(frozen=True)
class Segment:
    """A straight line of a path in page coordinates (PDF units, origin bottom left)."""

    x0: float
    y0: float
    x1: float
    y1: float


def _transform(matrix, x: float, y: float) -> tuple[float, float]:
    return matrix.a * x + matrix.c * y + matrix.e, matrix.b * x + matrix.d * y + matrix.f


def path_segments(path_object) -> list[Segment]:
    """The straight segments of a pypdfium2 path object, transformed to page coordinates.

    Bézier pieces are skipped (they draw emblems and signatures, never table rulings) but
    the straight pieces of the same path are kept.
    """
    import pypdfium2.raw as pdfium_c

    raw = path_object.raw
    matrix = pdfium_c.FS_MATRIX()
    if not pdfium_c.FPDFPageObj_GetMatrix(raw, matrix):
        return []
    x, y = ctypes.c_float(), ctypes.c_float()
    segments: list[Segment] = []
    start = current = None
    for index in range(pdfium_c.FPDFPath_CountSegments(raw)):
        segment = pdfium_c.FPDFPath_GetPathSegment(raw, index)
        if not pdfium_c.FPDFPathSegment_GetPoint(segment, x, y):
            continue
        point = _transform(matrix, x.value, y.value)
        kind = pdfium_c.FPDFPathSegment_GetType(segment)
        if kind == pdfium_c.FPDF_SEGMENT_MOVETO or current is None:
            start = point
        elif kind == pdfium_c.FPDF_SEGMENT_LINETO:
            segments.append(Segment(*current, *point))
        current = point
        if pdfium_c.FPDFPathSegment_GetClose(segment) and start is not None and start != current:
            segments.append(Segment(*current, *start))
            current = start
    return segments


def segments_to_edges(segments: list[Segment], page_height: float) -> list[dict]:
    """Axis-aligned segments as pdfplumber edge dicts (top-down coordinates)."""
    edges = []
    for s in segments:
        x0, x1 = sorted((s.x0, s.x1))
        top, bottom = sorted((page_height - s.y0, page_height - s.y1))
        if bottom - top <= AXIS_TOLERANCE and x1 - x0 >= EDGE_MIN_LENGTH_PREFILTER:
            edges.append({"x0": x0, "x1": x1, "top": top, "bottom": top, "width": x1 - x0, "height": 0.0,
                          "orientation": "h", "object_type": "line"})
        elif x1 - x0 <= AXIS_TOLERANCE and bottom - top >= EDGE_MIN_LENGTH_PREFILTER:
            edges.append({"x0": x0, "x1": x0, "top": top, "bottom": bottom, "width": 0.0, "height": bottom - top,
                          "orientation": "v", "object_type": "line"})
    return edges


def table_cell_grids(edges: list[dict]) -> list[list[list[tuple | None]]]:
    """Tables found from the edges, each as rows of cell boxes ``(x0, top, x1, bottom)`` or ``None``."""
    from pdfplumber.table import (Table, cells_to_tables, edges_to_intersections, intersections_to_cells,
                                  merge_edges)
    from pdfplumber.utils import filter_edges

    merged = merge_edges(edges, SNAP_TOLERANCE, SNAP_TOLERANCE, JOIN_TOLERANCE, JOIN_TOLERANCE)
    merged = filter_edges(merged, min_length=EDGE_MIN_LENGTH)
    intersections = edges_to_intersections(merged, INTERSECTION_TOLERANCE, INTERSECTION_TOLERANCE)
    cells = intersections_to_cells(intersections)
    return [[list(row.cells) for row in Table(None, group).rows] for group in cells_to_tables(cells)]


def page_tables(page, textpage) -> list[list[list[str | None]]]:
    """Every ruled table on an open pypdfium2 page, as rows of raw cell texts (``None`` = merged)."""
    import pypdfium2.raw as pdfium_c

    height = page.get_height()
    segments: list[Segment] = []
    for path in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_PATH], max_depth=2):
        segments.extend(path_segments(path))
    tables = []
    for grid in table_cell_grids(segments_to_edges(segments, height)):
        rows = []
        for row in grid:
            rows.append([None if cell is None else _cell_text(textpage, cell, height) for cell in row])
        tables.append(rows)
    return tables


def _cell_text(textpage, cell: tuple, page_height: float) -> str:
    x0, top, x1, bottom = cell
    return textpage.get_text_bounded(left=x0, bottom=page_height - bottom, right=x1, top=page_height - top)
