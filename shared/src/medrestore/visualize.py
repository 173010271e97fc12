"""PNG figures people look at: side-by-side restorations and error maps (Pillow only)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageDraw

from medrestore.io import atomic_path

__all__ = ["center_crop", "comparison_grid", "save_png"]


def center_crop(img: np.ndarray, size: int) -> np.ndarray:
    """Central ``size`` x ``size`` crop of a 2D image, zero-padded first when it is smaller."""
    h, w = img.shape
    if h < size or w < size:
        img = np.pad(img, ((0, max(size - h, 0)), (0, max(size - w, 0))))
        h, w = img.shape
    top, left = (h - size) // 2, (w - size) // 2
    return img[top : top + size, left : left + size]


def _to_uint8(img: np.ndarray, vmin: float, vmax: float) -> np.ndarray:
    scaled = (np.asarray(img, dtype=np.float64) - vmin) / max(vmax - vmin, 1e-12)
    return (np.clip(scaled, 0, 1) * 255).round().astype(np.uint8)


def comparison_grid(
    rows: Sequence[dict[str, np.ndarray]],
    reference: str | None = "clean",
    error_gain: float = 4.0,
    label_height: int = 14,
    no_error: Sequence[str] = (),
) -> np.ndarray:
    """Tile 2D images into a labelled uint8 grid: one row per sample, one column per entry.

    Every image is shown on ``[0, 1]``; when ``reference`` is a column, each other column except the
    first (the degraded input) and those in ``no_error`` (maps shown as they are, e.g. an uncertainty map)
    also gets an error map ``|x - reference| * error_gain``, titled ``err <name> x<gain>``.

    Args:
        rows: list of ``{column name: (H, W) array}``, all rows with the same column names and image size.
        reference: name of the ground-truth column, or None for no error maps.
        error_gain: error-map amplification. Defaults to 4.
    Returns:
        ``(H_total, W_total)`` uint8 array.
    """
    names = list(rows[0])
    panels = []
    for row in rows:
        cells = [(n, row[n]) for n in names]
        if reference is not None and reference in row:
            for n in names[1:]:
                if n != reference and n not in no_error:
                    cells.append((f"err {n} x{error_gain:g}", np.abs(row[n] - row[reference]) * error_gain))
        panels.append(cells)
    h, w = np.asarray(panels[0][0][1]).shape
    grid = np.zeros((len(panels) * (h + label_height), len(panels[0]) * w), dtype=np.uint8)
    canvas = Image.fromarray(grid)
    draw = ImageDraw.Draw(canvas)
    for r, cells in enumerate(panels):
        for c, (name, img) in enumerate(cells):
            top = r * (h + label_height)
            canvas.paste(Image.fromarray(_to_uint8(np.asarray(img)[:h, :w], 0.0, 1.0)), (c * w, top + label_height))
            draw.text((c * w + 2, top + 1), name, fill=255)
    return np.asarray(canvas)


def save_png(path: str, image: np.ndarray) -> None:
    """Write a uint8 ``(H, W)`` array as PNG atomically (temporary name, then rename)."""
    with atomic_path(path) as tmp:
        Image.fromarray(image).save(tmp)
