"""Renderers of a :class:`~detente.view.View`: rich text, JSON, CSV and HTML; one ``fmt``.

The CLI, the web workbench and the report print results only through these functions, so
that a number is formatted the same way everywhere.
"""

from __future__ import annotations

import csv
import decimal
import html
import io
import json
import math
import numbers
import re
from collections.abc import Sequence
from typing import Any

from detente.errors import as_written
from detente.view import Estimate, Table, View

#: The finest step a reader needs to tell apart on an issue, as a share of its scale's span:
#: a number in issue units keeps the decimals whose last digit is at most 0.1 % of the span
#: (one decimal on 0 to 100, two on 0 to 20, four on 1000 to 1000.5), so that two values
#: that differ by more than that never read the same.
SHOWN_SHARE_OF_SPAN = 1e-3
#: The significant digits a computed number keeps before it is written: a float's last
#: ones are rounding noise (one gain summed in two orders is 9.125 and 9.125000000000002),
#: and where the written digits end on a half, that noise tipped the rounding: 9.12 beside
#: 9.13. Fourteen still show the 0.1 % of a scale whose span is a ten-billionth of its ends
#: (MIN_SCALE_SPAN_SHARE: 1e-13 of the value), and leave noise of some 20 ulps no say.
STEADY_DIGITS = 14


def steady(value: float) -> float:
    """``value`` to :data:`STEADY_DIGITS` significant digits: numbers a few ulps apart
    become one number, so that every format writes them alike. A whole number, or one too
    large for a fraction to show, is left as it is: no rounding noise to absorb there, and
    rounding would change digits the user wrote (a status quo of 123,456,789,012,345)."""
    if float(value).is_integer() or abs(value) >= 10.0 ** (STEADY_DIGITS - 1):
        return value
    return float(f"{value:.{STEADY_DIGITS}g}")


def fixed(value: float, decimals: int = 2) -> str:
    """``value`` with ``decimals`` decimals (a Nash product, 3.80), steadied
    (:func:`steady`) and without the sign of a zero; a non-finite number is refused."""
    if not math.isfinite(value):
        raise non_finite_error("")
    return _unsigned_zero(f"{steady(value):.{decimals}f}")


def fmt(value: float, span: float | None = None) -> str:
    """An issue-unit number as people write it: 40, 37.5 (one decimal, no -0); a number
    below 1 keeps two significant digits (0.35, 0.0095), so that the values of a small
    scale (0 to 1, 0 to 0.02) do not all read 0 or lose half their digits.

    ``span``: the width of the issue's scale (high - low), when the number is on one; the
    number then keeps at least the decimals that show :data:`SHOWN_SHARE_OF_SPAN` of it, so
    that on a scale of 1000 to 1000.5, 1000.184 and 1000.236 do not both read 1000.2.

    A non-finite number is refused (:func:`non_finite_error`), never written: a quantity
    that does not apply is said in words by the caller, not passed here as NaN."""
    if not math.isfinite(value):
        raise non_finite_error("")
    value = steady(value)
    needed = span_decimals(span)
    # Within 1e-9 of a whole number is rounding noise; on a scale narrower than 1 the noise
    # shrinks with it (3e-10 on a scale of 0 to 1e-8 is a value, not 0).
    noise = 1e-9 * (min(1.0, span) if span is not None and needed else 1.0)
    if abs(value - round(value)) <= noise:
        return f"{round(value):d}"
    text = f"{value:.{fmt_decimals(value, span)}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "0") else text


def fmt_decimals(value: float, span: float | None = None) -> int:
    """The decimals :func:`fmt` writes a (non-zero, steadied) ``value`` with on a scale of
    width ``span``."""
    magnitude = math.floor(math.log10(abs(value)))
    decimals = 1 if abs(value) >= 1 else max(1, 1 - magnitude)
    # A float holds 15 significant digits: decimals beyond them would write binary noise.
    return max(decimals, min(span_decimals(span), 14 - magnitude))


def fixed_toward(value: float, decimals: int, up: bool) -> str:
    """``value`` (:func:`steady`) with ``decimals`` decimals, rounded up (``up``) or down
    rather than to the nearest: the end of a range written so that every number the text
    claims lies inside it (a lower end of 1.63 reads 1.7; the nearest, 1.6, is outside).
    Steadied first, so that rounding noise does not tip it: a grid value of
    65.10000000000001 still reads 65.1. A non-finite number is refused, as by :func:`fmt`."""
    if not math.isfinite(value):
        raise non_finite_error("")
    exact = decimal.Decimal(repr(steady(value)))
    # Precision for every digit of the largest float and its decimals: no silent rounding.
    context = decimal.Context(prec=400)
    rounded = exact.quantize(decimal.Decimal(1).scaleb(-decimals, context), context=context,
                             rounding=decimal.ROUND_CEILING if up else decimal.ROUND_FLOOR)
    return _unsigned_zero(f"{rounded:f}")


def span_decimals(span: float | None, share: float = SHOWN_SHARE_OF_SPAN) -> int:
    """The decimals that show ``share`` (default :data:`SHOWN_SHARE_OF_SPAN`) of ``span``
    (0 without a usable span: the caller's own rule then decides alone)."""
    if span is None or not math.isfinite(span) or span <= 0:
        return 0
    # The tolerance keeps an exact power of ten exact: log10(100 * 1e-3) is -1, one decimal,
    # however the float rounds.
    return max(0, math.ceil(-math.log10(span * share) - 1e-9))


def decimals_apart(value: float, other: float, decimals: int = 0) -> int:
    """The fewest decimals, at least ``decimals``, that write ``value`` and ``other``
    differently where they differ (``decimals`` where they are equal): a number said beside
    another it must not be mistaken for (a trust threshold beside its start, 0.001 against
    0, which two decimals write alike; the nearest forecast beside its target)."""
    if value == other or not (math.isfinite(value) and math.isfinite(other)):
        return decimals
    # The first decimal of their difference tells them apart (one more where rounding
    # lands them on one text: 0.149 and 0.151 at two decimals); two distinct floats always
    # part within a float's 17 significant digits.
    places = max(decimals, math.ceil(-math.log10(abs(value - other))))
    while f"{value:.{places}f}" == f"{other:.{places}f}":
        places += 1
    return places


def significant_apart(value: float, other: float, digits: int) -> tuple[str, str]:
    """``value`` and ``other`` to ``digits`` significant digits (``:g``), with the fewest
    more that write them differently where they differ (as written where they are equal):
    a last movement ratio of 0.0100004 beside the stop ratio 0.01, which three digits write
    alike, or a scale's span just below the narrowest a scale may have. Two distinct floats
    part within a float's 17 significant digits."""
    texts = f"{value:.{digits}g}", f"{other:.{digits}g}"
    if value == other or not (math.isfinite(value) and math.isfinite(other)):
        return texts
    while texts[0] == texts[1]:
        digits += 1
        texts = f"{value:.{digits}g}", f"{other:.{digits}g}"
    return texts


def fmt_apart(value: float, other: float, span: float | None = None) -> tuple[str, str]:
    """``value`` and ``other`` as :func:`fmt` writes them on a scale of width ``span``, with
    the decimals (:func:`decimals_apart`) that tell them apart where they differ but would
    read the same: a nearest forecast of 15.9993 beside its target of 16 reads 15.9993, not
    16, on a scale of 0 to 20."""
    texts = fmt(value, span), fmt(other, span)
    if value == other or texts[0] != texts[1]:
        return texts
    # fmt keeps the decimals that show SHOWN_SHARE_OF_SPAN of a scale: of one as narrow as
    # the decimals that part the two, here.
    narrow = 10.0 ** -decimals_apart(value, other) / SHOWN_SHARE_OF_SPAN
    texts = fmt(value, narrow), fmt(other, narrow)
    # Beyond the digits fmt writes (15 significant ones), every digit the floats have.
    return texts if texts[0] != texts[1] else (as_written(value), as_written(other))


def and_list(names: Sequence[str]) -> str:
    """Names as a sentence lists them: ``a``, ``a and b``, ``a, b and c`` (none: empty)."""
    return ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else "".join(names)


def fmt_shift(value: float, span: float | None = None) -> str:
    """A shift in issue units with its sign, written as :func:`fmt` writes the number (+22,
    -0.04); a shift that reads 0 has no sign, as in :func:`fmt_signed`."""
    text = fmt(value, span)
    return text if text.startswith("-") or text == "0" else f"+{text}"


def fmt_signed(value: float, decimals: int = 2) -> str:
    """A gain with its sign (+3.51, −0.41 written '-0.41'); a value that rounds to zero is
    '0.00' without a sign: '-0.00' or '+0.00' would claim a direction the number lacks.
    A non-finite number is refused, as by :func:`fmt`."""
    if not math.isfinite(value):
        raise non_finite_error("")
    return _unsigned_zero(format(steady(value), f"+.{decimals}f"))


_SIGNED_NUMBER = re.compile(r"[+-](\d[\d,]*(?:\.\d*)?)(.*)", re.S)


def _unsigned_zero(text: str) -> str:
    """'-0.0', '+0.00', '-0.0 ×' lose their sign: a zero has no direction, whatever the
    format spec asked for; any other text is returned as it is."""
    match = _SIGNED_NUMBER.fullmatch(text)
    if match and float(match[1].replace(",", "")) == 0:
        return match[1] + match[2]
    return text


#: The format spec of a column in issue units: rendered by :func:`fmt` (40, 37.5), with the
#: span of the cell's issue that its table declares (:meth:`~detente.view.Table.span_of`).
UNITS = "u"


def units_where_on_an_issue(spec: str) -> str:
    """The format spec of a column whose cells are in issue units on the rows that declare
    an issue's span, and written by ``spec`` on the others (a persuasion plan's current and
    needed value: a position on an issue, or a salience, a trust, a walk-away point;
    compare's A and B: a forecast, or a Nash product). On an issue's row the number is
    written as every issue-unit number is, by :func:`fmt` at its issue's span (with its
    sign, :func:`fmt_shift`, where ``spec`` asks for one: compare's B − A)."""
    return f"{UNITS}|{spec}"


def one_issue_spans(formats: Sequence[str], span: float | None) -> tuple[float | None, ...]:
    """The column spans of a table about one issue of scale width ``span``: that span for
    each column in issue units (:data:`UNITS`), None for the rest."""
    return tuple(span if spec == UNITS else None for spec in formats)


def cell_text(value: Any, spec: str = "", span: float | None = None) -> str:
    """One cell as text: None "–", booleans yes/"", numbers by ``spec`` (a format spec, or
    :data:`UNITS` for :func:`fmt` on an issue of scale width ``span``, or
    :func:`units_where_on_an_issue`), else 4 significant digits."""
    if isinstance(value, Estimate):
        text = cell_text(value.value, spec, span)
        if value.low is not None and value.high is not None:
            text += f" [{cell_text(value.low, spec, span)}, {cell_text(value.high, spec, span)}]"
        return text if value.count is None else f"{text} n={value.count}"
    if value is None:
        return "–"
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()  # numpy scalars (np.bool_, np.float32) as Python ones
    if isinstance(value, bool):
        return "yes" if value else ""
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            # A missing number is None ("–"); a NaN here is a result gone wrong, refused as
            # the JSON writer refuses it (the renderers check a whole view first, by place).
            raise non_finite_error("")
        if isinstance(value, float):
            value = steady(value)
        if spec == UNITS:
            return fmt(value, span)
        if spec.startswith(UNITS + "|"):
            own = spec[len(UNITS) + 1:]
            if span is None:
                return cell_text(value, own)
            return fmt_shift(value, span) if "+" in own else fmt(value, span)
        if spec.endswith("g") and 1e4 <= abs(value) < 1e15:
            # Significant-digit specs would write 909124 as 9.091e+05: plain digits read
            # better (and lose nothing) up to 10^15.
            return _unsigned_zero(format(value, ("+" if "+" in spec else "") + ",.0f"))
        if spec:
            return _unsigned_zero(format(value, spec))
        if isinstance(value, int):
            return str(value)
        # Plain digits up to the hundred thousands (289,500 rather than 2.895e+05); the
        # exponent only where digits would mislead (beyond 10^15, or below 0.001).
        if 1e4 <= abs(value) < 1e15:
            return f"{value:,.0f}"
        return _unsigned_zero(f"{value:.4g}") if abs(value) >= 1e-3 or value == 0 \
            else f"{value:.2e}"
    return str(value)


def rows_text(t: Table) -> list[list[str]]:
    # Its callers have checked the whole view by place (require_finite_view); cell_text
    # still refuses a non-finite cell reached any other way.
    return [[cell_text(v, t.format_of(k), t.span_of(r, k)) for k, v in enumerate(row)]
            for r, row in enumerate(t.rows)]


def _table_name(t: Table, n: int) -> str:
    return t.key or t.title or f"table{n + 1}"


def _table_cells(t: Table, n: int) -> dict[str, Any]:
    """One table's cells by place (``tables.FLOW.rows[2].Total``) for :func:`require_finite`."""
    return {"tables": {_table_name(t, n): {"rows": t.to_dict()["rows"]}}}


def require_finite_view(view: View) -> None:
    """Refuse a view with a NaN or infinite cell, naming its table, row and column: the one
    rule of :func:`to_json` held by every renderer (rich text, cells, CSV, HTML), so that no
    analysis can show a number the JSON output would refuse. A number written into a
    sentence goes through :func:`fmt`, which refuses a non-finite one itself; the text is
    not searched for 'nan' or 'inf', which are words a scenario may use (an actor 'inf')."""
    for n, t in enumerate(view.tables):
        require_finite(_table_cells(t, n))


def view_cells(view: View) -> dict[str, Any]:
    """A view as JSON with every cell already formatted as text, for a page that shows
    results without formatting numbers itself (the web workbench): ``title``, ``summary``,
    ``tables`` (``title``, ``columns``, ``rows`` of text) and ``notes`` (the tables' notes
    first)."""
    require_finite_view(view)
    return {"title": view.title, "summary": view.summary,
            "tables": [{"title": t.title, "columns": list(t.columns), "rows": rows_text(t)}
                       for t in view.tables],
            "notes": [*(n for t in view.tables for n in t.notes), *view.notes]}


def print_view(view: View, console: Any) -> None:
    """Print a view on a rich console: title and summary, each table with its notes, notes."""
    from rich.markup import escape
    from rich.table import Table as RichTable

    require_finite_view(view)  # before the title: nothing of a refused view is printed
    if view.title:
        console.print(f"[bold]{escape(view.title)}[/]", soft_wrap=True)
    if view.summary:
        console.print(escape(view.summary), soft_wrap=True)
    if _unsaid_counterfactual(view):
        console.print(escape(_unsaid_counterfactual(view)), soft_wrap=True)
    for t in view.tables:
        texts = rows_text(t)
        widths = column_widths([list(t.columns), *texts], console.width)
        # Units travel in JSON and CSV; a terminal table stays narrow without them.
        out = RichTable(title=escape(t.title) if t.title else None, title_justify="left",
                        width=sum(widths) + _TABLE_FRAME * len(widths) + 1)
        for k, column in enumerate(t.columns):
            numeric = any(isinstance(r[k], int | float) and not isinstance(r[k], bool)
                          for r in t.rows)
            # "fold": text wider than its column (a histogram's bars) breaks onto the next
            # line, never cut with '…' (rich's default).
            out.add_column(escape(column), justify="right" if numeric else "left",
                           width=widths[k], overflow="fold")
        for row in texts:
            out.add_row(*[escape(c) for c in row])
        # Not cropped where its words need more than the console's width: a line that runs
        # on is read whole, where a number cut at the edge reads as another.
        console.print(out, crop=False)
        for note in t.notes:
            console.print(f"  {escape(note)}", soft_wrap=True)
    for note in view.notes:
        console.print(escape(note), soft_wrap=True)


#: What a rich table (heavy head box, padding 1) adds per column: a border and two spaces;
#: the table adds one more border.
_TABLE_FRAME = 3


def column_widths(cells: Sequence[Sequence[str]], width: int) -> list[int]:
    """The width of each column of a table (``cells``: the header row, then the rows) that
    fits ``width`` characters where it can, never narrower than the column's longest word.

    A column narrower than a word breaks it: rich folded 1000000.00514 into 1000000.00 and
    514, whose first line reads as another number (docs/scenario-format.md: two different
    values never read the same). So columns give way from the widest, down to their
    longest word, and where their words need more than ``width`` the table is that wide.
    """
    from rich.cells import cell_len

    columns = list(zip(*cells, strict=True))
    lines = [[line for cell in column for line in cell.splitlines()] for column in columns]
    widths = [max((cell_len(line) for line in column), default=1) or 1 for column in lines]
    floors = [max((cell_len(word) for line in column for word in line.split()), default=1)
              or 1 for column in lines]
    room = width - _TABLE_FRAME * len(widths) - 1
    while sum(widths) > room:
        giving = [k for k, w in enumerate(widths) if w > floors[k]]
        if not giving:
            break
        widest = max(giving, key=lambda k: widths[k])
        widths[widest] -= 1
    return widths


def _unsaid_counterfactual(view: View) -> str:
    """The line naming the view's counterfactual, where its title, summary and table
    titles do not already name it ("" on the scenario as written)."""
    said = " ".join([view.title, view.summary, *(t.title for t in view.tables)])
    if not view.counterfactual or view.counterfactual in said:
        return ""
    return f"counterfactual: {view.counterfactual}"


def view_csv(view: View) -> str:
    """The whole view as CSV rows ``table,row,column,value,unit`` (raw values, long format).

    A table's cells have its name and their row number; what is said in words has an empty
    row: the view's title, summary and counterfactual first (table empty), each table's
    title before its cells and its notes after them, the view's notes last. A reader that
    keeps only the cells drops the rows whose ``row`` is empty."""
    require_finite_view(view)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["table", "row", "column", "value", "unit"])
    said = [("title", view.title), ("summary", view.summary),
            ("counterfactual", view.counterfactual)]
    writer.writerows(["", "", what, text, ""] for what, text in said if text)
    for n, t in enumerate(view.tables):
        name = _table_name(t, n)
        if t.title:
            writer.writerow([name, "", "title", t.title, ""])
        for r, row in enumerate(t.rows):
            for k, value in enumerate(row):
                writer.writerows([name, r, column, "" if number is None else number, unit]
                                 for column, number, unit in _csv_cells(t, k, value))
        writer.writerows([name, "", "note", note, ""] for note in t.notes)
    writer.writerows(["", "", "note", note, ""] for note in view.notes)
    return buffer.getvalue()


def to_json(data: Any) -> str:
    """The one JSON writer of every ``-f json`` output: standard JSON, never NaN or Infinity.

    ``json.dumps`` writes a bare ``NaN`` by default, which no strict JSON reader accepts. A
    quantity that does not exist is ``null`` by the time it gets here (docs/json-format.md);
    a non-finite number that still arrives is a result we cannot stand behind, so this
    refuses it, naming the field, instead of writing it."""
    try:
        return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False)
    except ValueError:
        raise non_finite_error(_first_non_finite(data) or "") from None


def require_finite(data: Any) -> None:
    """Refuse ``data`` (nested dicts and lists) holding a NaN or infinity, by its path."""
    where = _first_non_finite(data)
    if where is not None:
        raise non_finite_error(where)


def non_finite_error(where: str) -> Exception:
    """The one refusal of a non-finite number in a result, at ``where`` (a path)."""
    from detente.errors import DetenteError, Problem

    return DetenteError([Problem(
        where, "the result holds a number that is not finite (NaN or infinity), so it is "
        "not printed",
        "check the inputs for extreme values; if they look sound, please "
        "report this with the scenario")])


def _first_non_finite(data: Any) -> str | None:
    """The JSON path of the first NaN/Infinity in ``data`` (None when every number is finite)."""
    stack: list[tuple[Any, str]] = [(data, "")]
    while stack:
        node, where = stack.pop()
        # numbers.Real: numpy scalars too (np.float32 is no float subclass).
        if (isinstance(node, numbers.Real) and not isinstance(node, int)
                and not math.isfinite(node)):
            return where or "(top)"
        if isinstance(node, dict):
            stack.extend((v, f"{where}.{k}" if where else str(k)) for k, v in node.items())
        elif isinstance(node, list | tuple):
            stack.extend((v, f"{where}[{k}]") for k, v in enumerate(node))
    return None


def _csv_cells(t: Table, k: int, value: Any) -> list[tuple[str, Any, str]]:
    """The CSV lines of one cell of column ``k``: column, raw value, unit; an estimate's
    parts each on a line of their own (``MAE``, ``MAE low``, ``MAE high``, ``MAE n``)."""
    column, unit = t.columns[k], t.unit(k)
    if not isinstance(value, Estimate):
        return [(column, value, unit)]
    return [(column if part == "value" else f"{column} {part}", number,
             "count" if part == "n" else unit) for part, number in value.parts().items()]


def view_html(view: View) -> str:
    """A view as an HTML fragment (escaped; for the report and the web workbench)."""
    require_finite_view(view)
    parts = []
    if view.title:
        parts.append(f"<h3>{html.escape(view.title)}</h3>")
    if view.summary:
        parts.append(f"<p>{html.escape(view.summary)}</p>")
    if _unsaid_counterfactual(view):
        parts.append(f"<p>{html.escape(_unsaid_counterfactual(view))}</p>")
    for t in view.tables:
        from detente.glossary import with_terms

        # Column names like "Nash product" or "max-min" carry their definition as a hover
        # title (docs/glossary.md has the long forms).
        head = "".join(f"<th>{with_terms(c)}</th>" for c in t.columns)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>"
                       for row in rows_text(t))
        caption = f"<caption>{html.escape(t.title)}</caption>" if t.title else ""
        parts.append(f"<table>{caption}<thead><tr>{head}</tr></thead>"
                     f"<tbody>{body}</tbody></table>")
        parts += [f"<p class=\"note\">{html.escape(n)}</p>" for n in t.notes]
    parts += [f"<p class=\"note\">{html.escape(n)}</p>" for n in view.notes]
    return "\n".join(parts)


__all__ = ["SHOWN_SHARE_OF_SPAN", "UNITS", "cell_text", "fmt", "fmt_shift", "fmt_signed",
           "one_issue_spans", "print_view", "require_finite", "require_finite_view",
           "span_decimals", "to_json", "units_where_on_an_issue", "view_cells", "view_csv",
           "view_html"]
