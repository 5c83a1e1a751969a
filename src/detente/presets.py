"""Figure presets: the sizes a figure is made for, declared once.

Plain data (no matplotlib), so that the CLI can offer ``--preset`` without importing the
plotting stack (this module sits outside :mod:`detente.report`, whose import loads
matplotlib); :func:`detente.report.style.preset_bytes` renders a figure to a preset.

* ``slide``: a 16:9 slide, exactly 1920 × 1080 px (PNG, and SVG of that size); figures lay
  their panels out in columns to fill the width, the rest is white margin;
* ``page``: a page's text block, 1500 px wide (7.5 in at 200 dpi) and at most 2000 px
  (10 in) tall, the figure's own aspect kept.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Preset:
    """A target size. ``exact``: the output is exactly ``width_px`` × ``height_px`` (the
    figure centred on white); otherwise at most that, in the figure's own aspect.
    ``min_text_px``: the smallest text height the preset promises to stay legible at (the
    figure test checks every figure kind against it)."""

    name: str
    width_px: int
    height_px: int
    exact: bool
    min_text_px: float
    help: str

    @property
    def aspect(self) -> float:
        return self.width_px / self.height_px


PRESETS: dict[str, Preset] = {p.name: p for p in (
    Preset("slide", 1920, 1080, True, 9.0, "a 16:9 slide, exactly 1920 × 1080 px"),
    Preset("page", 1500, 2000, False, 9.0,
           "a page's text block: 1500 px (7.5 in at 200 dpi) wide, at most 2000 px tall"),
)}

__all__ = ["PRESETS", "Preset"]
