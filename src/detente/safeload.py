"""Read untrusted scenario text safely: one guard for the command line, the API and the web.

A scenario file is user input. Parsed naively, a few hundred bytes of YAML aliases expand
to billions of values ("billion laughs"), a few thousand nested brackets overflow Python's
stack, and a huge file is parsed for minutes. This module bounds each of these *before*
the cost is paid, and it refuses, rather than guesses, where a file is ambiguous:

* **size**: a file or text longer than ``max_bytes`` is refused before it is parsed;
* **nesting**: YAML is composed with a depth check at every node, JSON is scanned for its
  depth before :func:`json.loads` recurses, so neither can raise ``RecursionError``;
* **aliases**: YAML aliases are counted, and the size of the document *after* expansion is
  computed from the composed graph (each node's size once, memoised), so an alias bomb is
  refused after composing a few dozen nodes, never expanded;
* **duplicate keys**: YAML and JSON both silently keep the last of two equal keys; here
  they are refused, naming both lines;
* **encoding**: scenario files are UTF-8; a UTF-16/32 file (BOM or NUL-byte pattern) or a
  non-UTF-8 byte is refused with the encoding named and the fix, never decoded by guess.

The defaults suit every scenario we know of by orders of magnitude; each can be lifted with
an environment variable (read at each load) or by passing :class:`LoadLimits` to the loader.
See docs/scenario-format.md ("Limits").
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from detente.errors import Problem, ScenarioError, scenario_error, shorten

#: The tags of the plain scalars YAML reads as something other than text: a key of each is
#: kept as written, a value of the first two (a number is its own text, near enough).
_NOT_TEXT_KEY_TAGS = frozenset(f"tag:yaml.org,2002:{kind}" for kind in ("bool", "null", "int",
                                                                           "float"))
_NOT_TEXT_VALUE_TAGS = frozenset(f"tag:yaml.org,2002:{kind}" for kind in ("bool", "null"))


class LineMap(dict[tuple[str, ...], int]):
    """Each path of a YAML document (its keys as written) → its 1-based line; and what was
    written where YAML read no text: an unquoted ``NO`` is false, ``~`` null, ``12`` a
    number, so a message about an id written so can quote it and place it as written."""

    def __init__(self) -> None:
        super().__init__()
        #: The path of a plain scalar value read as true, false or null → its text (``NO``).
        self.written_values: dict[tuple[str, ...], str] = {}
        #: (the path of a mapping, a key of it read as no text: False) → its text (``NO``).
        self.written_keys: dict[tuple[tuple[str, ...], Any], str] = {}


#: Environment variables that lift each limit (an integer; ``0`` means no limit).
ENV_VARS = {
    "max_bytes": "DETENTE_MAX_FILE_BYTES",
    "max_depth": "DETENTE_MAX_DEPTH",
    "max_values": "DETENTE_MAX_VALUES",
    "max_aliases": "DETENTE_MAX_ALIASES",
}


@dataclass(frozen=True)
class LoadLimits:
    """What one scenario file may ask of the loader.

    ``max_bytes``: the file's size; ``max_depth``: nesting levels (a scenario needs about
    seven); ``max_values``: values after YAML aliases are expanded; ``max_aliases``: YAML
    aliases (``*name``). ``0`` switches a limit off.
    """

    max_bytes: int = 16 * 1024 * 1024
    max_depth: int = 64
    max_values: int = 1_000_000
    max_aliases: int = 10_000

    @classmethod
    def from_env(cls) -> LoadLimits:
        """The defaults, each replaced by its environment variable when that is set."""
        values: dict[str, int] = {}
        for f in fields(cls):
            var = ENV_VARS[f.name]
            text = os.environ.get(var)
            if text is None or not text.strip():
                continue
            try:
                number = int(text.strip().replace("_", ""))
            except ValueError:
                raise scenario_error("", f"{var}={shorten(text)} is not a whole number",
                                     f"set {var} to a whole number (0 = no limit)") from None
            if number < 0:
                raise scenario_error("", f"{var} cannot be negative",
                                     f"set {var} to a whole number (0 = no limit)")
            values[f.name] = number
        return cls(**values)

    def tightened(self, **most: int) -> LoadLimits:
        """These limits with some made tighter (``max_depth=24``): each the smaller of the
        two, where 0 means none (a server's limits on what it parses for its users)."""
        return replace(self, **{name: _tighter(getattr(self, name), b)
                                for name, b in most.items()})

    def lift(self, name: str) -> str:
        """How a user lifts one limit (for the fix line of a refusal)."""
        return f"or set {ENV_VARS[name]} to a larger number (0 = no limit)"


def _tighter(a: int, b: int) -> int:
    """The tighter of two limits, where 0 means none."""
    return b if a <= 0 else a if b <= 0 else min(a, b)


def _over(value: int, most: int) -> bool:
    return most > 0 and value > most


# ---------------------------------------------------------------------------------------
# Bytes to text
# ---------------------------------------------------------------------------------------

_BOMS = (
    (b"\x00\x00\xfe\xff", "UTF-32 (big-endian, with a byte-order mark)"),
    (b"\xff\xfe\x00\x00", "UTF-32 (little-endian, with a byte-order mark)"),
    (b"\xfe\xff", "UTF-16 (big-endian, with a byte-order mark)"),
    (b"\xff\xfe", "UTF-16 (little-endian, with a byte-order mark)"),
)
_SAVE_AS_UTF8 = ("save the file as UTF-8 (in most editors: Save As… → Encoding: UTF-8), or "
                 "convert it, e.g. iconv -f {enc} -t UTF-8 in > out")


def _wide_encoding(head: bytes) -> str | None:
    """Name a UTF-16/32 encoding from a BOM or, without one, from where the NUL bytes fall."""
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name
    sample = head[:4096]
    if len(sample) >= 4 and sample.count(0) * 4 >= len(sample):
        # Mostly-ASCII text in UTF-16 has a NUL in every other byte; its side gives the order.
        even = sample[0::2].count(0)
        odd = sample[1::2].count(0)
        if sample[:4].count(0) == 3:
            return "UTF-32 (no byte-order mark)"
        return "UTF-16 (big-endian, no byte-order mark)" if even > odd else \
            "UTF-16 (little-endian, no byte-order mark)"
    return None


def decode(data: bytes, source: str) -> str:
    """UTF-8 text of a file (a UTF-8 BOM is allowed), or a ScenarioError naming its encoding."""
    wide = _wide_encoding(data[:4096])
    if wide is not None:
        enc = "UTF-32" if wide.startswith("UTF-32") else "UTF-16"
        raise scenario_error("", f"the file is encoded as {wide}; scenario files are UTF-8",
                             _SAVE_AS_UTF8.format(enc=enc), source)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        byte = data[err.start]
        # Bytes 0x80-0xFF that are not UTF-8 are nearly always a Windows/ISO-8859 file.
        raise scenario_error("", f"byte 0x{byte:02X} is not UTF-8; the file looks like "
                             "Windows-1252 or Latin-1 (ISO-8859-1); scenario files are UTF-8",
                             _SAVE_AS_UTF8.format(enc="WINDOWS-1252"), source, line) from None


def check_size(size: int, limits: LoadLimits, source: str) -> None:
    if _over(size, limits.max_bytes):
        raise scenario_error("", f"the file is {_mib(size)}, more than the "
                             f"{_mib(limits.max_bytes)} a scenario may have",
                             "check that this is the right file, "
                             + limits.lift("max_bytes"), source)


def _mib(n: int) -> str:
    return f"{n / 2**20:.1f} MiB" if n >= 2**20 else f"{n:,} bytes"


def read_text(path: Path, limits: LoadLimits) -> str:
    """A file's UTF-8 text, refused before reading when it is larger than the limit."""
    source = str(path)
    try:
        size = path.stat().st_size
        check_size(size, limits, source)
        with path.open("rb") as handle:
            # Read one byte past the limit: a file that grows while read is caught too.
            data = handle.read(limits.max_bytes + 1 if limits.max_bytes > 0 else -1)
    except OSError as err:
        raise scenario_error("", f"cannot read the file: {err.strerror}",
                             "check the path and its permissions", source) from None
    check_size(len(data), limits, source)
    return decode(data, source)


# ---------------------------------------------------------------------------------------
# YAML
# ---------------------------------------------------------------------------------------


class _Refused(Exception):
    """Raised inside the composer; turned into a ScenarioError with the node's line."""

    def __init__(self, message: str, fix: str, line: int | None) -> None:
        super().__init__(message)
        self.problem = Problem("", message, fix, line)


if TYPE_CHECKING:  # the mixin's methods call the loader classes that follow it
    _GuardBase = yaml.SafeLoader
else:
    _GuardBase = object


class _Guard(_GuardBase):
    """The checks of a guarded loader: a depth check, alias accounting and duplicate-key
    refusal, on top of PyYAML's composer and safe constructor (the classes after it).

    PyYAML composes recursively (a few Python frames per level), so the depth is checked
    on the way down, before the next level is composed.
    """

    limits: LoadLimits

    def _guard(self, limits: LoadLimits) -> None:
        self.limits = limits
        self._depth = 0
        self._aliases = 0
        self._sizes: dict[int, int] = {}

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if _over(self._aliases, self.limits.max_aliases):
                line = self.peek_event().start_mark.line + 1  # type: ignore[no-untyped-call]
                raise _Refused(f"the document uses more than {self.limits.max_aliases} YAML "
                               "aliases (*name)", "write the values out plainly, "
                               + self.limits.lift("max_aliases"), line)
            return super().compose_node(parent, index)  # type: ignore[return-value]
        self._depth += 1
        if _over(self._depth, self.limits.max_depth):
            line = self.peek_event().start_mark.line + 1  # type: ignore[no-untyped-call]
            raise _Refused(f"nested more than {self.limits.max_depth} levels deep",
                           "a scenario is only a few levels deep; check the structure, "
                           + self.limits.lift("max_depth"), line)
        try:
            node: Node = super().compose_node(parent, index)  # type: ignore[assignment]
        finally:
            self._depth -= 1
        # The size of a node after alias expansion: itself plus its children's sizes, an
        # alias counting the full size of what it points to (known: it was composed first).
        size = 1
        if isinstance(node, SequenceNode):
            size += sum(self._sizes.get(id(child), 1) for child in node.value)
        elif isinstance(node, MappingNode):
            size += sum(self._sizes.get(id(k), 1) + self._sizes.get(id(v), 1)
                        for k, v in node.value)
        self._sizes[id(node)] = size
        if _over(size, self.limits.max_values):
            raise _Refused(f"the document expands to more than {self.limits.max_values:,} "
                           "values" + (" (through YAML aliases)" if self._aliases else ""),
                           "write the values out plainly or split the file, "
                           + self.limits.lift("max_values"), node.start_mark.line + 1)
        return node

    def construct_mapping(self, node: Node, deep: bool = False) -> dict[Any, Any]:
        if isinstance(node, MappingNode):
            seen: dict[Any, int] = {}
            for key_node, _ in node.value:
                if (not isinstance(key_node, ScalarNode)
                        or key_node.tag == "tag:yaml.org,2002:merge"):
                    continue  # merged keys may be overridden: that is what << is for
                key = self.construct_object(key_node)
                line = key_node.start_mark.line + 1
                try:
                    first = seen.get(key)
                except TypeError:
                    continue
                if first is not None:
                    lines = f"line {line}" if first == line else \
                        f"line {first} and on line {line}"
                    raise _Refused(f"the key '{shorten(str(key))}' appears twice in one "
                                   f"mapping, on {lines} (YAML would silently keep the "
                                   "second)",
                                   "remove one of them, or merge the two entries", line)
                seen[key] = line
        return super().construct_mapping(node, deep=deep)  # type: ignore[arg-type]


class _GuardedLoader(_Guard, yaml.SafeLoader):
    """PyYAML's pure-Python safe loader, guarded: the reference, whose errors the user sees."""

    def __init__(self, stream: str, limits: LoadLimits) -> None:
        yaml.SafeLoader.__init__(self, stream)
        self._guard(limits)


# libyaml's parser (C), when PyYAML was built with it: it scans and parses the text about
# ten times faster than the pure-Python reader, scanner and parser, which were most of the
# cost of loading a scenario (korea-2017: 35 of 40 ms). Only the events come from C:
# composing (where the guard counts depth, aliases and values) and constructing stay the
# Python code of the pure loader, so both loaders build the same document.
try:
    from yaml._yaml import CParser

    _LIBYAML = True
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    _LIBYAML = False

if _LIBYAML:
    class _FastGuardedLoader(_Guard, yaml.composer.Composer, CParser,
                             yaml.constructor.SafeConstructor, yaml.resolver.Resolver):
        """libyaml's events, PyYAML's composer and constructor, the same guard."""

        def __init__(self, stream: str, limits: LoadLimits) -> None:
            CParser.__init__(self, stream)
            yaml.composer.Composer.__init__(self)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)
            self._guard(limits)


def parse_yaml(text: str, source: str, limits: LoadLimits | None = None) -> tuple[Any, LineMap]:
    """Parse YAML text under the limits; return the data and each path's line."""
    limits = limits or LoadLimits.from_env()
    check_size(len(text.encode("utf-8", "surrogatepass")), limits, source)
    if _LIBYAML:
        try:
            return _compose(_FastGuardedLoader(text, limits))
        except Exception:
            # libyaml words its errors (and may place them) differently: a document it
            # refuses is parsed again by the pure-Python loader, so the message, the line
            # and what is refused at all stay the reference's.
            pass
    try:
        return _compose(_GuardedLoader(text, limits))
    except _Refused as err:
        raise ScenarioError([err.problem], source) from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        what = getattr(err, "problem", None) or str(err)
        raise scenario_error("", f"malformed YAML: {shorten(what, 200)}",
                             "check indentation and that every 'key: value' has a space "
                             "after the colon", source, line) from None
    except RecursionError:  # pragma: no cover - the depth limit comes first
        raise scenario_error("", "nested too deeply", limits.lift("max_depth"), source) from None


def _compose(loader: _Guard) -> tuple[Any, LineMap]:
    """The document a guarded loader reads, and each path's line."""
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()
    return data, _line_map(node)


def _line_map(root: Node | None) -> LineMap:
    """Each path of a composed document → its 1-based line (an alias is walked once)."""
    lines = LineMap()
    if root is None:
        return lines
    seen: set[int] = set()
    stack: list[tuple[Node, tuple[str, ...]]] = [(root, ())]
    while stack:
        node, path = stack.pop()
        lines.setdefault(path, node.start_mark.line + 1)
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, MappingNode):
            for key, value in node.value:
                key_path = (*path, str(key.value))
                lines.setdefault(key_path, key.start_mark.line + 1)
                if _plain(key, _NOT_TEXT_KEY_TAGS):
                    with contextlib.suppress(yaml.YAMLError, TypeError):
                        read = yaml.safe_load(key.value)
                        lines.written_keys.setdefault((path, read), key.value)
                stack.append((value, key_path))
        elif _plain(node, _NOT_TEXT_VALUE_TAGS):
            lines.written_values.setdefault(path, node.value)
        elif isinstance(node, SequenceNode):
            stack.extend((value, (*path, str(k))) for k, value in enumerate(node.value))
    return lines


def _plain(node: Node, tags: frozenset[str]) -> bool:
    """Whether ``node`` is a plain (unquoted) scalar YAML read as one of ``tags`` (a plain
    scalar's style is None from PyYAML's parser, '' from libyaml's)."""
    return isinstance(node, ScalarNode) and not node.style and node.tag in tags


# ---------------------------------------------------------------------------------------
# JSON
# ---------------------------------------------------------------------------------------

_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)


def _json_depths(text: str) -> np.ndarray:
    """Nesting depth after each character (strings blanked so brackets in them don't count)."""
    blank = _JSON_STRING.sub(lambda m: " " * len(m.group()), text)
    codes = np.frombuffer(blank.encode("utf-32-le"), dtype=np.uint32)
    step = np.zeros(codes.shape, dtype=np.int64)
    step[(codes == ord("{")) | (codes == ord("["))] = 1
    step[(codes == ord("}")) | (codes == ord("]"))] = -1
    return np.cumsum(step)


def read_document(path: Path, limits: LoadLimits | None = None) -> tuple[Any, LineMap]:
    """The YAML or JSON document in ``path``, read within ``limits``, and, for YAML, each
    path's line (JSON: none)."""
    limits = limits or LoadLimits.from_env()
    text = read_text(path, limits)
    if path.suffix.lower() == ".json":
        return parse_json(text, str(path), limits), LineMap()
    return parse_yaml(text, str(path), limits)


def parse_json(text: str, source: str, limits: LoadLimits | None = None) -> Any:
    """Parse JSON text under the limits, refusing duplicate keys with both lines."""
    limits = limits or LoadLimits.from_env()
    check_size(len(text.encode("utf-8", "surrogatepass")), limits, source)
    depths = _json_depths(text)
    if depths.size and limits.max_depth > 0 and int(depths.max()) > limits.max_depth:
        where = int(np.argmax(depths > limits.max_depth))
        raise scenario_error("", f"nested more than {limits.max_depth} levels deep",
                             "a scenario is only a few levels deep; check the structure, "
                             + limits.lift("max_depth"), source, text.count("\n", 0, where) + 1)
    duplicates: list[str] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in items:
            if key in out and not duplicates:
                duplicates.append(key)
            out[key] = value
        return out

    try:
        data = json.loads(text, object_pairs_hook=pairs)
    except json.JSONDecodeError as err:
        raise scenario_error("", f"malformed JSON: {err.msg}", "fix the JSON syntax",
                             source, err.lineno) from None
    except RecursionError:  # pragma: no cover - the depth scan comes first
        raise scenario_error("", "nested too deeply", limits.lift("max_depth"), source) from None
    if duplicates:
        key = duplicates[0]
        lines = _json_key_lines(text, key)
        both = (f", on line {lines[0]} and on line {lines[1]}" if len(lines) >= 2 else "")
        raise scenario_error("", f"the key '{shorten(key)}' appears twice in one object{both} "
                             "(JSON readers would silently keep the second)",
                             "remove one of them, or merge the two entries", source,
                             lines[1] if len(lines) >= 2 else None)
    if _count_values(data, limits.max_values) > limits.max_values > 0:
        raise scenario_error("", f"the document has more than {limits.max_values:,} values",
                             "split the file, " + limits.lift("max_values"), source)
    return data


def _json_key_lines(text: str, key: str) -> list[int]:
    """Lines where ``key`` appears as a key (best effort: the first object holding it twice)."""
    pattern = re.compile(re.escape(json.dumps(key, ensure_ascii=False)) + r"\s*:")
    hits = [m.start() for m in pattern.finditer(text)]
    depths = _json_depths(text)
    by_depth: dict[int, list[int]] = {}
    for pos in hits:
        by_depth.setdefault(int(depths[pos]), []).append(pos)
    for positions in by_depth.values():
        if len(positions) >= 2:
            return [text.count("\n", 0, p) + 1 for p in positions[:2]]
    return []


def _count_values(data: Any, most: int) -> int:
    count = 0
    stack = [data]
    while stack and (most <= 0 or count <= most):
        node = stack.pop()
        count += 1
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return count


# ---------------------------------------------------------------------------------------
# Parsed documents (the Python API and the web hand these in directly)
# ---------------------------------------------------------------------------------------


def walk(raw: Any) -> Iterator[tuple[Any, str, int]]:
    """Every value of a parsed document with its location and depth, without recursion."""
    stack: list[tuple[Any, str, int]] = [(raw, "", 0)]
    while stack:
        node, loc, depth = stack.pop()
        yield node, loc, depth
        if isinstance(node, dict):
            stack.extend((value, f"{loc}.{key}" if loc else str(key), depth + 1)
                         for key, value in reversed(list(node.items())))
        elif isinstance(node, list | tuple):
            stack.extend((value, f"{loc}[{k}]", depth + 1)
                         for k, value in reversed(list(enumerate(node))))


def structure_problems(raw: Any, max_depth: int, max_values: int,
                       max_text: int = 0) -> list[Problem]:
    """The first breach of depth, value count or text length, and every non-finite number.

    The walk stops at the first breach of a limit, so a hostile document costs at most
    ``max_values`` steps. A non-finite number is refused wherever it stands: the one
    finiteness rule of the loader (see docs/scenario-format.md).
    """
    problems: list[Problem] = []
    for count, (node, loc, depth) in enumerate(walk(raw), start=1):
        if _over(count, max_values):
            return [Problem("", f"the scenario has more than {max_values:,} values",
                            "split it or remove unused parts")]
        if _over(depth, max_depth):
            return [Problem(shorten(loc, 120), f"nested more than {max_depth} levels deep",
                            "a scenario is only a few levels deep; check the structure")]
        if isinstance(node, dict):
            for key in node:
                if isinstance(key, str) and _over(len(key), max_text):
                    return [Problem(shorten(loc, 120), f"a key of {len(key):,} characters is "
                                    f"longer than the {max_text:,} accepted", "shorten it")]
        elif isinstance(node, str):
            if _over(len(node), max_text):
                return [Problem(loc, f"a text of {len(node):,} characters is longer than the "
                                f"{max_text:,} accepted", "shorten it")]
        elif isinstance(node, float) and not math.isfinite(node):
            problems.append(Problem(loc, f"{node} is not a finite number",
                                    "write a plain number (.nan, .inf and 1e400 are not "
                                    "numbers a model can use)"))
    return problems
