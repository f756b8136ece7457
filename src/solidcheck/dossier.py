"""Reading dossiers: YAML or JSON (chosen by content), strict keys, every problem at once."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from ._validation import problems_from, short_repr
from .errors import DossierError, Problem, file_problem
from .model import Dossier

__all__ = [
    "MAX_DOSSIER_BYTES",
    "RepeatedKeyError",
    "dossier_from_mapping",
    "load_dossier",
    "load_mapping",
    "parse_dossier",
    "parse_mapping",
    "read_dossier_bytes",
    "reject_repeated_keys",
]

MAX_DOSSIER_BYTES = 1_000_000
#: The most values (scalars, lists, mappings) a dossier may hold once every YAML alias is
#: replaced by the value it names. A real dossier holds a few hundred (a thousand specimens
#: are 5,000); the cap is what keeps a 500-byte "billion laughs" file from becoming a
#: billion values in validation and in messages. JSON files are held to it too.
MAX_YAML_NODES = 100_000
#: The deepest nesting of values, counting the top-level mapping as 1; a dossier is 4 deep.
MAX_YAML_DEPTH = 64
#: PyYAML's wheels carry libyaml; a PyYAML built without it uses its pure-Python loader
HAVE_LIBYAML = hasattr(yaml, "CSafeLoader")


class _TooLargeError(yaml.YAMLError):
    """The document is over MAX_YAML_NODES or MAX_YAML_DEPTH; refused before any Python
    object is built from it."""

    def __init__(self, problem: str, fix: str) -> None:
        super().__init__(problem)
        self.problem = problem
        self.fix = fix

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self), (self.problem, self.fix)


def _too_many_values(*, expanded: bool) -> _TooLargeError:
    if expanded:
        return _TooLargeError(
            f"the file's anchors and aliases expand to more than {MAX_YAML_NODES:,} values",
            "write the values out, or use fewer aliases (*name): a dossier holds a few "
            "hundred values")
    return _TooLargeError(
        f"the file holds more than {MAX_YAML_NODES:,} values (an alias counts as a value)",
        "a dossier holds a few hundred values: give one cell per file")


def _too_deep() -> _TooLargeError:
    return _TooLargeError(f"values are nested more than {MAX_YAML_DEPTH} levels deep",
                          "a dossier is a few levels deep: start from an example in examples/")


def _node_children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _check_expanded_size(root: yaml.Node) -> None:
    """Refuse a composed YAML document that expands beyond MAX_YAML_NODES values or
    MAX_YAML_DEPTH levels, or that contains itself.

    PyYAML's composer gives an alias the very node its anchor names, so the document is a
    graph whose expanded size can be exponential in its length. Each node's expanded size
    and depth are computed once (memoised by identity, depth-first without recursion), so
    this costs time linear in the file, whatever the file expands to.
    """
    done: dict[int, tuple[int, int]] = {}  # id(node) → (expanded values, depth)
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            on_path.discard(key)
            children = _node_children(node)
            values = 1 + sum(done[id(child)][0] for child in children)
            depth = 1 + max((done[id(child)][1] for child in children), default=0)
            if values > MAX_YAML_NODES:  # the whole document is at least as large
                raise _too_many_values(expanded=True)
            if depth > MAX_YAML_DEPTH:
                raise _too_deep()
            done[key] = (values, depth)
        elif key not in done:
            if key in on_path:
                raise _TooLargeError(
                    "an alias (*name) refers to a value that contains it, which never ends",
                    "write the values out; a dossier has no value inside itself")
            on_path.add(key)
            stack.append((node, True))
            stack.extend((child, False) for child in _node_children(node)
                         if id(child) not in done)


def _check_json_size(data: Any) -> None:
    """Hold parsed JSON to the same number of values and depth as YAML."""
    values = 0
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        values += 1
        if values > MAX_YAML_NODES:
            raise _too_many_values(expanded=False)
        if depth > MAX_YAML_DEPTH:
            raise _too_deep()
        if isinstance(value, dict):
            stack.extend((item, depth + 1) for item in value.values())
            values += len(value)  # the keys
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)


class _KeyError(yaml.constructor.ConstructorError):
    """A mapping key YAML accepts but a dossier does not, with how to fix it."""

    def __init__(self, problem: str, fix: str, mark: yaml.Mark) -> None:
        super().__init__(None, None, problem, mark)
        self.fix = fix

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self), (self.problem, self.fix, self.problem_mark)


class _BoundedConstructor(yaml.constructor.SafeConstructor):
    """Builds the Python values of a composed document: a repeated key is an error, not a
    silent overwrite, and the size after alias expansion is checked before any value is
    built."""

    #: False when the document is known to hold no alias: it cannot expand beyond what was
    #: counted as it was read, and the walk over its nodes is skipped
    may_expand = True

    def construct_document(self, node: yaml.Node) -> Any:
        if self.may_expand:
            _check_expanded_size(node)
        return super().construct_document(node)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":  # `<<: *anchor` may be overridden
                continue
            key = self.construct_object(key_node, deep=deep)
            try:
                repeated = key in seen
            except TypeError:
                raise _KeyError("a key must be a plain value, not a list or mapping",
                                "write each key as plain text", key_node.start_mark) from None
            if repeated:
                raise _KeyError(f"key {short_repr(key)} appears twice",
                                "remove the repeated key", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


class _UniqueKeyLoader(yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser,
                       yaml.composer.Composer, _BoundedConstructor, yaml.resolver.Resolver):
    """The pure-Python loader (when PyYAML lacks libyaml): nodes are counted and nesting
    measured while composing, so an oversized file stops early."""

    def __init__(self, stream: str) -> None:
        yaml.reader.Reader.__init__(self, stream)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)
        yaml.composer.Composer.__init__(self)
        _BoundedConstructor.__init__(self)
        yaml.resolver.Resolver.__init__(self)
        self._composed_nodes = 0
        self._composing_depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        # every call yields at least one value of the expanded document (an alias as many
        # as it names), so a count over the cap is a document over the cap
        self._composed_nodes += 1
        if self._composed_nodes > MAX_YAML_NODES:
            raise _too_many_values(expanded=False)
        self._composing_depth += 1
        try:
            if self._composing_depth > MAX_YAML_DEPTH:
                raise _too_deep()
            return super().compose_node(parent, index)
        finally:
            self._composing_depth -= 1


if HAVE_LIBYAML:
    class _FastLoader(yaml.CSafeLoader, _BoundedConstructor):
        """libyaml's parser and composer (ten times faster than PyYAML's own) with the same
        constructor. Its composer recurses without a depth check, so the document's events
        are counted first (:func:`_check_events`, an iterative pass)."""


def _check_events(body: str) -> int:
    """Refuse a document of more than MAX_YAML_NODES values (an alias counts once) or
    nested deeper than MAX_YAML_DEPTH, from its parser events: no node is built. Returns
    the number of aliases."""
    values = depth = aliases = 0
    for event in yaml.parse(body, Loader=yaml.CSafeLoader):  # the C parser: iterative
        if isinstance(event, yaml.ScalarEvent | yaml.AliasEvent):
            values += 1
            aliases += isinstance(event, yaml.AliasEvent)
            if depth + 1 > MAX_YAML_DEPTH:
                raise _too_deep()
        elif isinstance(event, yaml.SequenceStartEvent | yaml.MappingStartEvent):
            values += 1
            depth += 1
            if depth > MAX_YAML_DEPTH:
                raise _too_deep()
        elif isinstance(event, yaml.SequenceEndEvent | yaml.MappingEndEvent):
            depth -= 1
        if values > MAX_YAML_NODES:
            raise _too_many_values(expanded=False)
    return aliases


def _load_yaml(body: str) -> Any:
    loader: yaml.constructor.BaseConstructor
    if HAVE_LIBYAML:
        aliases = _check_events(body)
        loader = _FastLoader(body)
        loader.may_expand = aliases > 0
    else:
        loader = _UniqueKeyLoader(body)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


class RepeatedKeyError(ValueError):
    """A JSON object names a key twice (json.loads would silently keep the last)."""


def reject_repeated_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``object_pairs_hook`` for json.loads that refuses repeated keys."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise RepeatedKeyError(f"key {short_repr(key)} appears twice")
        out[key] = value
    return out


def _parse(text: str, source: str) -> Any:
    try:
        return _parse_syntax(text, source)
    except DossierError:
        raise
    except RecursionError:
        problem = Problem("", "nested too deeply to read", "a dossier is a few levels deep")
    except ValueError as exc:  # e.g. an integer with thousands of digits
        problem = Problem("", f"cannot be read: {str(exc)[:200]}", "check the values in the file")
    raise DossierError([problem], source=source)


def _parse_syntax(text: str, source: str) -> Any:
    body = text.removeprefix("\ufeff")
    if body.lstrip(" \t\r\n").startswith(("{", "[")):
        try:
            data = json.loads(body, object_pairs_hook=reject_repeated_keys)
            _check_json_size(data)
            return data
        except _TooLargeError as exc:
            raise DossierError([Problem("", exc.problem, exc.fix)], source=source) from None
        except json.JSONDecodeError as exc:
            raise DossierError([Problem(f"line {exc.lineno}, column {exc.colno}",
                f"not valid JSON: {exc.msg}", "fix the JSON syntax")], source=source) from None
        except RepeatedKeyError as exc:
            raise DossierError([Problem("", str(exc), "remove the repeated key")],
                               source=source) from None
    try:
        return _load_yaml(body)
    except _TooLargeError as exc:
        raise DossierError([Problem("", exc.problem, exc.fix)], source=source) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        what = exc.problem or exc.context or "syntax error"
        fix = getattr(exc, "fix", "fix the YAML syntax (indentation, colons, quotes)")
        raise DossierError([Problem(where, f"not valid YAML: {what}", fix)],
                           source=source) from None
    except yaml.YAMLError as exc:
        raise DossierError([Problem("", f"not valid YAML: {exc}", "fix the YAML syntax")],
                           source=source) from None


#: what YAML or JSON text can be instead of a mapping, said in the reader's language
_SHAPES = ("list", "str", "int", "float", "bool")


def dossier_from_mapping(data: Any, *, source: str | None = None) -> Dossier:
    """Validate already-parsed data (a mapping) as a dossier."""
    if not isinstance(data, Mapping):
        kind = "nothing" if data is None else type(data).__name__
        raise DossierError([Problem("", f"a dossier is a mapping of keys, got {kind}",
                                    "start from an example in examples/",
                                    "problem.not_a_mapping" if kind in _SHAPES else "",
                                    {"kind": f"shape.{kind}"})], source=source)
    try:
        return Dossier.model_validate(dict(data))
    except ValidationError as exc:
        problems = [_phase_hint(problem, data) for problem in problems_from(exc, Dossier)]
        raise DossierError(problems, source=source) from None


_PHASE_PATH = re.compile(r"\Aelectrolyte\.phases\[(\d+)\]\Z")


def _phase_hint(problem: Problem, data: Mapping[str, Any]) -> Problem:
    """A term written as a phase (``phases: [semi-solid]``, 半固态, quasi-solid …) is told
    what it means, from the vocabulary: the phases of the concept it names."""
    where = _PHASE_PATH.match(problem.path)
    electrolyte = data.get("electrolyte")
    phases = electrolyte.get("phases") if isinstance(electrolyte, Mapping) else None
    if where is None or not isinstance(phases, list) or int(where[1]) >= len(phases):
        return problem
    given = phases[int(where[1])]
    from .terms import phase_term

    match = phase_term(given) if isinstance(given, str) and len(given) <= 100 else None
    if match is None:
        return problem
    instead = "[" + ", ".join(match.concept.phases) + "]"
    return Problem(
        problem.path, f"{given!r} is not an electrolyte phase: {match.label.text!r} is a "
        f"{match.label.status.replace('_', '-')} term for the {match.preferred_en} "
        f"({match.preferred_zh})",
        f"write phases: {instead}", "problem.phase_is_a_term",
        {"given": given, "term": match.label.text, "status": f"term.{match.label.status}",
         "preferred": match.preferred_en, "preferred_zh": match.preferred_zh,
         "phases": instead})


def parse_mapping(text: str | bytes, *, source: str = "<string>") -> Any:
    """Parse dossier text, YAML or JSON by its content, without validating it as a dossier.

    For inputs that are completed before validation (``solidcheck dossier build``).
    """
    if isinstance(text, str) and len(text) > MAX_DOSSIER_BYTES:  # UTF-8 has ≥ 1 byte a char
        raise DossierError([Problem("", f"longer than {MAX_DOSSIER_BYTES} characters",
                                    "a dossier is a small text file")], source=source)
    if isinstance(text, bytes):
        if len(text) > MAX_DOSSIER_BYTES:
            raise DossierError([Problem("", f"larger than {MAX_DOSSIER_BYTES} bytes",
                                        "a dossier is a small text file")], source=source)
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise DossierError([Problem("", f"not UTF-8 text (byte {exc.start})",
                                        "save the file as UTF-8", "problem.not_utf8",
                                        {"byte": exc.start})], source=source) from None
    return _parse(text, source)


def parse_dossier(text: str | bytes, *, source: str = "<string>") -> Dossier:
    """Parse dossier text, YAML or JSON by its content, and validate it."""
    return dossier_from_mapping(parse_mapping(text, source=source), source=source)


def read_dossier_bytes(path: str | Path) -> bytes:
    """A dossier file's bytes; an unreadable file is a DossierError like any other problem."""
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise DossierError([file_problem(path, exc)], source=str(path)) from None


def load_mapping(path: str | Path) -> Any:
    """Read a dossier file's data, not yet validated."""
    return parse_mapping(read_dossier_bytes(path), source=str(path))


def load_dossier(path: str | Path) -> Dossier:
    """Read and validate a dossier file; an instrument file given instead is recognised by
    its content and the problem says how to make a dossier of it."""
    source = str(path)
    data = read_dossier_bytes(path)
    try:
        mapping = parse_mapping(data, source=source)
    except DossierError:
        _refuse_instrument_file(Path(path), data)
        raise
    if not isinstance(mapping, Mapping):
        _refuse_instrument_file(Path(path), data)
    return dossier_from_mapping(mapping, source=source)


def _refuse_instrument_file(path: Path, data: bytes) -> None:
    """Raise a DossierError naming the instrument file ``data`` is, if a reader knows it."""
    from .readers import instrument_file_problem  # only on this error path: readers weigh more

    problem = instrument_file_problem(path, data)
    if problem is not None:
        raise DossierError([problem], source=str(path))
