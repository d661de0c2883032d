"""What every compile step shares: the document, the diagnostics, and the names templates may use."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from relmap.catalog.outsmart import BY_NAME
from relmap.errors import DiagnosticSink, Location
from relmap.mapping.compiled import Condition
from relmap.mapping.loader import Document, PathKey
from relmap.mapping.templates.args import check_arguments
from relmap.mapping.templates.audit import audit
from relmap.mapping.templates.expressions import Compiled, check_names, compile_code


@dataclass
class Scope:
    doc: Document
    sink: DiagnosticSink
    flagged_paths: set[PathKey] = field(default_factory=set)  # where the schema already found a problem
    variables: dict[str, Any] = field(default_factory=dict)
    freefields: dict[str, int] = field(default_factory=dict)
    fields: set[str] = field(default_factory=lambda: set(BY_NAME))

    def __post_init__(self) -> None:
        # Every prefix of every flagged path: flagged() is one set lookup, not a scan of them all (it is asked about
        # every rule; with many routes and many errors the scan made validation quadratic).
        self._flagged_prefixes = {tuple(bad[:i]) for bad in self.flagged_paths for i in range(len(bad) + 1)}

    def flagged(self, path: PathKey) -> bool:
        """True when the schema reported something at or below ``path``: do not report it twice."""
        return tuple(path) in self._flagged_prefixes

    def loc(self, path: PathKey, *, key: bool = False) -> Location:
        return self.doc.loc(path, key=key)

    def error(self, path: PathKey, message: str, code: str, hint: str | None = None, *, key: bool = False) -> None:
        self.sink.error(self.loc(path, key=key), message, code, hint)

    def warning(self, path: PathKey, message: str, code: str, hint: str | None = None, *, key: bool = False) -> None:
        self.sink.warning(self.loc(path, key=key), message, code, hint)

    def code(self, path: PathKey, source: str, *, expression: bool) -> Compiled | None:
        """Compile a template or expression at ``path``; report syntax and name problems at their own line."""
        if expression and ("{{" in source or "{%" in source):
            self.error(
                path,
                "this is an expression: write it without {{ }} or {% %}",
                "expression-braces",
                f"write: {source.replace('{{', '').replace('}}', '').strip()}",
            )
            return None
        function, tree, problem = compile_code(source, expression=expression)
        if problem:
            self.sink.error(self.doc.text_line(path, problem.line), problem.message, problem.code, problem.hint)
            return None
        assert tree is not None
        ok = True
        names = check_names(tree, self.fields, set(self.variables), self.freefields)
        for found in (*names, *check_arguments(tree), *audit(tree)):
            self.sink.error(self.doc.text_line(path, found.line), found.message, found.code, found.hint)
            ok = False
        return function if ok else None

    def condition(self, path: PathKey, source: Any) -> Condition | None:
        if not isinstance(source, str):
            return None  # the schema has said what is wrong
        test = self.code(path, source, expression=True)
        return Condition(source, test, self.loc(path)) if test else None
