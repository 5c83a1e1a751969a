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
from typing import TYPE_CHECKING, Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure
from matplotlib.text import Text

if TYPE_CHECKING:
    from detente.scenario import Scenario

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


def model_label(name: str) -> str:
    """A model's display name for legends and titles: its registered title without the
    parenthesis ('nash' -> 'Nash bargaining'); a model outside the registry keeps its name."""
    from detente.models import REGISTRY

    info = REGISTRY.get(name)
    return info.title.split(" (")[0] if info is not None else name


def distinct_models(values: dict[str, dict[str, float]],
                    scenario: Scenario) -> tuple[list[str], dict[str, str]]:
    """The models whose forecasts differ, in order, and each dropped model with the one it
    duplicates on every issue of ``scenario`` (anchored equals compromise without agenda
    setters): drawing both would hide one marker under the other and read as agreement
    between two models."""
    kept: list[str] = []
    same: dict[str, str] = {}
    for name, forecast in values.items():
        twin = next((k for k in kept if all(scenario.issue(i).scale.same(v, values[k][i])
                                            for i, v in forecast.items())), None)
        if twin is None:
            kept.append(name)
        else:
            same[name] = twin
    return kept, same


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
    A label that fits in no tier is hidden rather than drawn over another (the caller
    counts them with :func:`hidden` and says so). Needs the texts to use an offset
    transform in points (``annotate`` with ``textcoords="offset points"``).
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
            if all(not overlaps(box, other) for other in
                   (placed[tier] if tier < len(placed) else [])):
                while len(placed) <= tier:
                    placed.append([])
                placed[tier].append(box)
                used = max(used, tier + 1)
                break
        else:
            text.xyann = base
            text.set_visible(False)
    return used


def hidden(texts: Sequence[Text]) -> int:
    """How many of ``texts`` :func:`stack_labels` had to leave out."""
    return sum(not t.get_visible() for t in texts)


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


def row_inches(count: int, roomy: float) -> float:
    """Height of one labelled row: ``roomy`` for a few rows, tighter (0.22 in, still over
    twice an 8-point line) past a dozen, so that forty actors fit a slide legibly."""
    return roomy if count <= 12 else min(roomy, 0.22)


def grid_columns(count: int, panel_width: float, panel_height: float, extra_height: float,
                 aspect: float | None) -> int:
    """How many columns of ``count`` panels (inches each) make the figure read largest
    once scaled into a box of ``aspect`` (width / height); one column without an aspect.

    The scale a layout gets is min(box width / its width, box height / its height); the
    column count with the largest scale wins (the fewest columns among ties).
    """
    if aspect is None or count <= 1:
        return 1
    best, best_scale = 1, 0.0
    for columns in range(1, count + 1):
        rows = -(-count // columns)
        width, height = columns * panel_width, extra_height + rows * panel_height
        scale = min(aspect / width, 1.0 / height)
        if scale > best_scale * 1.0001:
            best, best_scale = columns, scale
    return best


def _content_box(fig: Figure, pad_inches: float = 0.12) -> Any:
    """Everything drawn, in inches, padded (text outside the axes included)."""
    from matplotlib.transforms import Bbox

    fig.canvas.draw()
    box = fig.get_tightbbox(fig.canvas.get_renderer())
    return Bbox.from_extents(box.x0 - pad_inches, box.y0 - pad_inches,
                             box.x1 + pad_inches, box.y1 + pad_inches)


def preset_layout(fig: Figure, preset: Any) -> tuple[Any, float]:
    """The box (inches) a preset renders and its dpi: the drawn content scaled to fit the
    preset; for an exact preset the box grows to the preset's aspect, content centred."""
    from matplotlib.transforms import Bbox

    box = _content_box(fig)
    dpi = min(preset.width_px / box.width, preset.height_px / box.height)
    if preset.exact:
        width, height = preset.width_px / dpi, preset.height_px / dpi
        cx, cy = (box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2
        box = Bbox.from_extents(cx - width / 2, cy - height / 2, cx + width / 2,
                                cy + height / 2)
    return box, dpi


def preset_bytes(fig: Figure, fmt: str, preset: Any) -> bytes:
    """Render a figure to a :class:`~detente.report.presets.Preset` as PNG, SVG or PDF.

    PNG: the pixel size is the preset's (exact) or within it; SVG: the same size in px
    (the drawing scales through its viewBox); PDF: the same box, sized in points.
    """
    box, dpi = preset_layout(fig, preset)
    buffer = io.BytesIO()
    fig.savefig(buffer, format=fmt, dpi=dpi, bbox_inches=box, metadata=_metadata(fmt))
    data = buffer.getvalue()
    width_px, height_px = round(box.width * dpi), round(box.height * dpi)
    if preset.exact:
        width_px, height_px = preset.width_px, preset.height_px
    if fmt == "png" and preset.exact:
        data = _exact_png(data, width_px, height_px)
    if fmt == "svg":
        data = _svg_size(data, width_px, height_px)
    return data


def _exact_png(data: bytes, width: int, height: int) -> bytes:
    # Float rounding of box × dpi can leave a pixel over or under; a slide must be exact.
    from PIL import Image

    image = Image.open(io.BytesIO(data))
    if image.size == (width, height):
        return data
    canvas = Image.new(image.mode, (width, height), "white")
    canvas.paste(image.crop((0, 0, min(width, image.width), min(height, image.height))),
                 (0, 0))
    out = io.BytesIO()
    canvas.save(out, format="png")
    return out.getvalue()


def _svg_size(data: bytes, width: int, height: int) -> bytes:
    import re

    text = data.decode("utf-8")
    head, sep, rest = text.partition("<svg ")
    root, close, body = rest.partition(">")
    root = re.sub(r'\bwidth="[^"]*"', f'width="{width}px"', root, count=1)
    root = re.sub(r'\bheight="[^"]*"', f'height="{height}px"', root, count=1)
    return (head + sep + root + close + body).encode("utf-8")
