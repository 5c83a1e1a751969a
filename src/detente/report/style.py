"""Shared look of every figure: colour-blind-safe colours, figure creation, label placement.

Figures are built on :class:`matplotlib.figure.Figure` with the Agg canvas directly, never
through ``pyplot``: nothing is ever shown, no GUI backend is touched, and figures are not
kept alive by a global registry. In a notebook the returned Figure displays as usual.

Colours follow Okabe & Ito (2008), "Color Universal Design", the palette recommended by
Wong (2011), *Nature Methods* 8:441, for readers with colour-vision deficiencies. Salience is
shown on a single-hue light-to-dark scale (lightness alone carries it, so it survives
grey-scale printing). Every colour is paired with a second cue (marker shape, direct label).
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Sequence
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure
from matplotlib.text import Text

OKABE_ITO = {
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
    "black": "#000000",
}

# Models: warm and green hues, away from the blue salience scale used for actors on the
# same axes; each model also gets its own marker shape.
MODEL_COLORS = ("#D55E00", "#009E73", "#CC79A7", "#E69F00", "#0072B2", "#56B4E9", "#000000")
MODEL_MARKERS = ("o", "s", "D", "^", "v", "P", "X")
# Actors, where they need a colour each (trajectories): all eight, yellow last (faint on white).
ACTOR_COLORS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000",
                "#F0E442")
ACTOR_LINESTYLES = ("-", "--", "-.", ":")
STATUS_QUO_COLOR = "#444444"
INK = "#222222"
MUTED = "#666666"

SALIENCE_CMAP = LinearSegmentedColormap.from_list("detente_salience", ["#DCEAF7", "#08306B"])

FONT = {"font.size": 9, "axes.titlesize": 10, "axes.labelsize": 9, "xtick.labelsize": 8,
        "ytick.labelsize": 8, "legend.fontsize": 8}


def model_style(name: str, order: Sequence[str]) -> tuple[str, str]:
    """Colour and marker of a model, fixed by its place in the registry so figures agree."""
    from detente.models import REGISTRY

    known = list(REGISTRY) + [m for m in order if m not in REGISTRY]
    k = known.index(name) if name in known else len(known)
    return MODEL_COLORS[k % len(MODEL_COLORS)], MODEL_MARKERS[k % len(MODEL_MARKERS)]


def actor_style(k: int) -> tuple[str, str]:
    """Colour and line style of the k-th actor; styles repeat only after 32 actors."""
    return (ACTOR_COLORS[k % len(ACTOR_COLORS)],
            ACTOR_LINESTYLES[(k // len(ACTOR_COLORS)) % len(ACTOR_LINESTYLES)])


def new_figure(width: float, height: float) -> Figure:
    """A figure on the Agg canvas, outside pyplot (never shown, never registered)."""
    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    return fig


def wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(text, width=width, break_long_words=False)) or text


def _extent(text: Text) -> Any:
    return text.get_window_extent()


def overlaps(a: Any, b: Any, pad: float = 2.0) -> bool:
    return not (a.x1 + pad <= b.x0 or b.x1 + pad <= a.x0 or a.y1 + pad <= b.y0
                or b.y1 + pad <= a.y0)


def stack_labels(texts: Sequence[Text], step_points: float, up: bool = True,
                 max_tiers: int = 6) -> int:
    """Move labels into tiers so that none overlaps another; return the tiers used.

    Labels are taken left to right; each goes into the lowest tier where it overlaps no
    label already placed. A tier is ``step_points`` above (or below) the previous one.
    Needs the texts to use an offset transform in points (``annotate`` with
    ``textcoords="offset points"``).
    """
    order = sorted(range(len(texts)), key=lambda i: _extent(texts[i]).x0)
    placed: list[list[Any]] = []
    used = 0
    for i in order:
        text = texts[i]
        base = text.xyann
        for tier in range(max_tiers):
            dy = (1 if up else -1) * tier * step_points
            text.xyann = (base[0], base[1] + dy)
            box = _extent(text)
            if tier == max_tiers - 1 or all(not overlaps(box, other) for other in
                                             (placed[tier] if tier < len(placed) else [])):
                while len(placed) <= tier:
                    placed.append([])
                placed[tier].append(box)
                used = max(used, tier + 1)
                break
    return used


def figure_bytes(fig: Figure, fmt: str = "png", dpi: int = 110) -> bytes:
    """Render a figure to PNG, SVG or PDF bytes."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format=fmt, dpi=dpi, bbox_inches="tight", pad_inches=0.15,
                metadata=_metadata(fmt))
    return buffer.getvalue()


def _metadata(fmt: str) -> dict[str, Any]:
    # Stable bytes for identical figures (no creation date, no software version stamp).
    if fmt == "svg":
        return {"Date": None, "Creator": None}
    if fmt == "pdf":
        return {"CreationDate": None, "Creator": None, "Producer": None}
    if fmt == "png":
        return {"Software": None}
    return {}
