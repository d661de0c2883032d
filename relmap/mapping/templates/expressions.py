"""The one sandboxed Jinja environment, and compile-time checks of the names a template uses."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar

from jinja2 import StrictUndefined, TemplateSyntaxError, nodes
from jinja2.exceptions import TemplateAssertionError

from relmap.catalog.outsmart import FREEFIELD_MAX, FREEFIELD_MIN
from relmap.mapping.templates.context import fresh_context
from relmap.mapping.templates.direct import direct_expression, direct_template
from relmap.mapping.templates.env import DROPPED_FILTERS, BoundedEnvironment
from relmap.mapping.templates.limits import MAX_SIZE, TemplateLimit, bounded_call, charge
from relmap.sources.records import SURROGATE

Compiled = Callable[[dict[str, Any]], Any]
Env = TypeVar("Env", bound=BoundedEnvironment)


@dataclass(frozen=True)
class TemplateProblem:
    """A problem in a template: ``line`` is the template's own 1-based line."""

    line: int
    message: str
    code: str
    hint: str | None = None


def _finalize(value: Any) -> Any:
    """What ``{{ }}`` prints: nothing for a missing value (never "None"), and only a value within the bounds (printing
    a list turns it into text at once, in C)."""
    return "" if value is None else charge(value)


# Compiling is bounded too: a template is text of the mapping file, but Jinja's parser and Python's compiler recurse.
COMPILE_TIME_LIMIT = 10.0
MAX_NESTING = 40
MAX_TEMPLATE = 100_000  # characters: far beyond any real template, well within what compiles in the time limit


@lru_cache(maxsize=1)
def environment() -> BoundedEnvironment:
    """The sandboxed, immutable, bounded environment every mapping template runs in."""
    return configured(BoundedEnvironment)


def configured(kind: type[Env]) -> Env:
    """A new environment of ``kind`` set up as every mapping template's (templates.trace makes one too)."""
    from relmap.mapping.filters import FILTERS, TESTS

    env = kind(undefined=StrictUndefined, autoescape=False, finalize=_finalize)
    env.filters.update(FILTERS)  # relmap's own filters give a normalised value no larger than what they read
    env.tests.update(TESTS)
    return env


def compile_code(
    source: str, *, expression: bool
) -> tuple[Compiled | None, nodes.Template | None, TemplateProblem | None]:
    """Compile a template (``expression=False``) or a bare expression; on failure, say where and why.

    The same text compiles once per process: mappings repeat their templates in every route, and what compiling
    gives (a pure function, a syntax tree only ever read) can be shared.
    """
    return _compile(source, expression)


@lru_cache(maxsize=4096)
def _compile(source: str, expression: bool) -> tuple[Compiled | None, nodes.Template | None, TemplateProblem | None]:
    env = environment()
    text = source if not expression else "{{ (" + source + ") }}"
    if len(source) > MAX_TEMPLATE:
        message = f"template is longer than {MAX_TEMPLATE:,} characters"
        return None, None, TemplateProblem(1, message, "template-limit", "split it into several rules")
    deep = _too_deep(source)
    if deep:
        return None, None, deep
    try:
        tree, function = bounded_call(lambda _: _build(env, text, source, expression), None, COMPILE_TIME_LIMIT)
    except TemplateAssertionError as exc:
        return None, None, _assertion(exc)
    except TemplateSyntaxError as exc:
        return None, None, TemplateProblem(exc.lineno or 1, f"template syntax error: {exc.message}", "template-syntax")
    except TemplateLimit as exc:
        return None, None, TemplateProblem(1, f"template cannot be compiled: {exc}", "template-limit")
    except RecursionError:
        return None, None, _nested(1)
    except (ValueError, SyntaxError, MemoryError, OverflowError) as exc:  # e.g. a number literal of 5,000 digits
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return None, None, TemplateProblem(1, f"template cannot be compiled: {message}", "template-invalid")
    return function, tree, None


def _build(env: BoundedEnvironment, text: str, source: str, expression: bool) -> tuple[nodes.Template, Compiled]:
    tree = env.parse(text)
    return tree, _expression(env, source) if expression else template_function(env, tree)


def _encodable(text: str) -> str:
    """A template's text as UTF-8 can carry it: a lone surrogate (made with decode('surrogateescape'), or written
    as "\\ud800") cannot be sent, printed or stored, so it is this record's error, not the run's crash."""
    if text.isascii():  # nearly every value: no surrogate in it, and no need to search
        return text
    found = SURROGATE.search(text)
    if found:
        raise TemplateLimit(f"template made text with an invalid character (lone surrogate \\u{ord(found[0]):04x})")
    return text


def _too_deep(source: str) -> TemplateProblem | None:
    """Brackets nested past MAX_NESTING: refused before Jinja's recursive parser meets them."""
    depth, line = 0, 1
    for char in source:
        if char in "([{":
            depth += 1
            if depth > MAX_NESTING:
                return _nested(line)
        elif char in ")]}":
            depth = max(depth - 1, 0)
        elif char == "\n":
            line += 1
    return None


def _nested(line: int) -> TemplateProblem:
    return TemplateProblem(
        line,
        f"template nests brackets deeper than {MAX_NESTING} levels",
        "template-limit",
        "split it into {% set %} steps",
    )


def template_names() -> dict[str, Any]:
    """Jinja's globals (range, dict, namespace, ...): the renderer puts them into each record's names once."""
    return dict(environment().globals)


# Templates run on a context *shared* with the record's names instead of Jinja's default copy of every name
# (and of the globals) for every template: that copy cost more than the template itself. The names dict must
# therefore already hold template_names(); the template never writes to it (assignments go to the context's own vars).


def template_function(env: BoundedEnvironment, tree: nodes.Template) -> Compiled:
    """A parsed template as one bounded evaluation: its output is measured as it is made.

    A simple template takes the direct path (templates.direct), with the same results; ``through_jinja`` gives the
    evaluation that always runs Jinja's code."""
    template = env.from_string(tree)
    root, new_context = template.root_render_func, fresh_context(env, template)

    def render(names: dict[str, Any]) -> str:
        parts, total = [], 0
        for part in root(new_context(names)):
            total += len(part)
            if total > MAX_SIZE:
                raise TemplateLimit(f"template output is longer than {MAX_SIZE:,} characters")
            parts.append(part)
        return _encodable("".join(parts))

    return _bounded(render, direct_template(env, tree, render, _encodable))


def _bounded(jinja: Callable[[dict[str, Any]], Any], direct: Callable[[dict[str, Any]], Any] | None) -> Compiled:
    """One bounded evaluation: the direct one when there is one, with the Jinja one beside it (``through_jinja``)."""
    through = functools.partial(bounded_call, jinja)
    if direct is None:
        return through
    function = functools.partial(bounded_call, direct)
    function.jinja = through  # type: ignore[attr-defined]
    return function


def through_jinja(function: Compiled) -> Compiled:
    """``function`` evaluated by Jinja's own code always (for tracing, and to compare with the direct path)."""
    jinja: Compiled = getattr(function, "jinja", function)
    return jinja


def _expression(env: BoundedEnvironment, source: str) -> Compiled:
    env.compile_expression(source, undefined_to_none=False)  # raises the syntax error with the user's own text
    return expression_function(env, env.parse(expression_text(source)))


def expression_text(source: str) -> str:
    """The template an expression is evaluated as: its value is the template's ``result``."""
    return "{% set result = (" + source + ") %}"


def expression_function(env: BoundedEnvironment, tree: nodes.Template) -> Compiled:
    """A parsed ``expression_text`` as one bounded evaluation: the value of ``result``, measured."""
    template = env.from_string(tree)
    root, new_context = template.root_render_func, fresh_context(env, template)

    def evaluate(names: dict[str, Any]) -> Any:
        context = new_context(names)
        for _ in root(context):
            pass
        return _result(context.vars["result"])

    return _bounded(evaluate, direct_expression(env, tree, evaluate, _result))


def _result(value: Any) -> Any:
    """An expression's value as it leaves the evaluation: measured, and text that UTF-8 can carry."""
    result = charge(value)
    return _encodable(result) if isinstance(result, str) else result


def _assertion(exc: TemplateAssertionError) -> TemplateProblem:
    message = exc.message or "invalid template"
    for kind in ("filter", "test"):
        prefix = f"No {kind} named '"
        if message.startswith(prefix):
            name = message[len(prefix) :].split("'", 1)[0]
            if kind == "filter" and name in DROPPED_FILTERS:
                hint = DROPPED_FILTERS[name]
                return TemplateProblem(
                    exc.lineno or 1, f"the {name} filter is not available in mappings", "template-unsafe", hint
                )
            pool = environment().filters if kind == "filter" else environment().tests
            from relmap.mapping.schema import did_you_mean

            return TemplateProblem(
                exc.lineno or 1, f"unknown {kind} '{name}'", f"unknown-{kind}", did_you_mean(name, pool)
            )
    return TemplateProblem(exc.lineno or 1, message, "template-invalid")


def check_names(
    tree: nodes.Template, fields: set[str], variables: set[str], freefields: dict[str, int]
) -> Iterator[TemplateProblem]:
    """Every name, ``vars.X`` and ``ff[...]`` a template uses must exist; report those that do not."""
    from jinja2 import meta

    from relmap.mapping.hints import name_hint

    known = fields | {"ff", "vars", "record"} | set(environment().globals)
    for name in sorted(meta.find_undeclared_variables(tree)):
        if name not in known:
            line = _first_line(tree, name)
            hint = name_hint(name, known, tree)
            yield TemplateProblem(line, f"unknown name '{name}' in template", "unknown-name", hint)
    yield from _check_vars(tree, variables)
    yield from _check_freefields(tree, freefields)


def _first_line(tree: nodes.Template, name: str) -> int:
    for node in tree.find_all(nodes.Name):
        if node.name == name:
            return int(node.lineno)
    return 1


def subscripts(tree: nodes.Template, base: str) -> Iterator[tuple[int, Any]]:
    """(line, key) for every ``base.key`` and ``base[key]`` with a constant key."""
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        target: Any = node
        if isinstance(target.node, nodes.Name) and target.node.name == base:
            if isinstance(target, nodes.Getattr):
                yield target.lineno, target.attr
            elif isinstance(target.arg, nodes.Const):
                yield target.lineno, target.arg.value


def _check_vars(tree: nodes.Template, variables: set[str]) -> Iterator[TemplateProblem]:
    for line, key in subscripts(tree, "vars"):
        if key not in variables:
            from relmap.mapping.schema import did_you_mean

            hint = did_you_mean(str(key), variables) or "declare it under vars:"
            yield TemplateProblem(line, f"unknown variable 'vars.{key}'", "unknown-var", hint)


def _check_freefields(tree: nodes.Template, freefields: dict[str, int]) -> Iterator[TemplateProblem]:
    for line, key in subscripts(tree, "ff"):
        if isinstance(key, bool) or not isinstance(key, int | str):
            continue
        if isinstance(key, int):
            if not FREEFIELD_MIN <= key <= FREEFIELD_MAX:
                yield TemplateProblem(line, f"freefield number {key} is outside 1-50", "freefield-range")
        elif key.isdigit():
            yield TemplateProblem(line, f"ff['{key}'] looks up a name", "freefield-name", f"write ff[{key}]")
        elif key not in freefields:
            from relmap.mapping.schema import did_you_mean

            hint = did_you_mean(key, freefields) or "declare it under freefields: (name: number)"
            yield TemplateProblem(line, f"unknown freefield name '{key}'", "unknown-freefield", hint)
