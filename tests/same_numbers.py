"""Compare two JSON-like results number by number, to a relative tolerance.

Two surfaces (the web worker, the library) run the same arithmetic in different processes;
the last bit of an iterative model's float may differ with the order numpy sums in, so
"the same result" means equal structure, equal strings and numbers equal to 1e-9.
"""

from __future__ import annotations

import math
import re
from typing import Any


def assert_same_numbers(got: Any, expected: Any, rel: float = 1e-9, where: str = "$") -> None:
    if isinstance(expected, dict):
        assert isinstance(got, dict), f"{where}: {got!r} is not an object"
        assert list(got) == list(expected), f"{where}: keys {list(got)} != {list(expected)}"
        for key in expected:
            assert_same_numbers(got[key], expected[key], rel, f"{where}.{key}")
    elif isinstance(expected, list):
        assert isinstance(got, list), f"{where}: {got!r} is not a list"
        assert len(got) == len(expected), f"{where}: {len(got)} items != {len(expected)}"
        for i, (g, e) in enumerate(zip(got, expected, strict=True)):
            assert_same_numbers(g, e, rel, f"{where}[{i}]")
    elif isinstance(expected, float) and not isinstance(got, bool):
        assert isinstance(got, int | float), f"{where}: {got!r} is not a number"
        close = math.isclose(got, expected, rel_tol=rel, abs_tol=rel)
        assert close, f"{where}: {got} != {expected}"
    else:
        assert got == expected, f"{where}: {got!r} != {expected!r}"


def html_tables(page: str, section: str) -> list[dict[str, Any]]:
    """The tables of one ``<section id=...>`` of an HTML report as the web sends them:
    ``title`` (the caption), ``columns`` and ``rows`` of cell text (tags such as the
    glossary's ``<abbr>`` dropped, entities unescaped)."""
    import html
    import re

    start = page.index(f'<section id="{section}">')
    body = page[start:page.index("</section>", start)]

    def text(cell: str) -> str:
        return html.unescape(re.sub(r"<[^>]+>", "", cell))

    tables = []
    for t in re.findall(r"<table>(.*?)</table>", body, flags=re.S):
        caption = re.search(r"<caption>(.*?)</caption>", t, flags=re.S)
        head = re.search(r"<thead>(.*?)</thead>", t, flags=re.S)
        rows = re.findall(r"<tr>(.*?)</tr>", t.split("</thead>", 1)[-1], flags=re.S)
        tables.append({
            "title": text(caption.group(1)) if caption else "",
            "columns": [text(c) for c in re.findall(r"<th>(.*?)</th>", head.group(1) if head
                                                     else "", flags=re.S)],
            "rows": [[text(c) for c in re.findall(r"<td>(.*?)</td>", r, flags=re.S)]
                     for r in rows]})
    return tables


def untimed(text: str) -> str:
    """Text less the seconds a search took ("brute force, 2.3 s"): what differs between two
    runs of the same numbers."""
    return re.sub(r"\b\d+(\.\d+)? s\b", "… s", text)


def timeless(node: Any) -> Any:
    """A JSON result less what differs between two runs of the same numbers: timings
    (``seconds``, ``run``, ``stats``; in a report's ``html``, each "0.8 s") and where it ran
    (``where``)."""
    if isinstance(node, dict):
        return {k: untimed(v) if k == "html" and isinstance(v, str) else timeless(v)
                for k, v in node.items()
                if k not in ("seconds", "run", "stats", "where")}
    if isinstance(node, list):
        return [timeless(v) for v in node]
    return node
