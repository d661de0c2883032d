"""``--mask-pii``: names, e-mail addresses, phone numbers and IBANs out of reports, changes still visible.

A masked value becomes ``•••``; empty values stay empty, so a reader still sees that a value was added, changed or
is missing. Free text (reasons, error messages) has this relation's own personal values and anything shaped like
an e-mail address or an IBAN replaced the same way.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from relmap.sync.apply import Outcome

MASK = "•••"
# Silvasoft parameters (the last part of a path such as Relation_Contact[0].Email) that hold personal data.
PII_PARAMETERS = frozenset(
    {"Name", "FirstName", "LastName", "MiddleName", "Initials", "Email", "Phone", "Mobile", "Fax", "IBAN"}
)
# OutSmart relation fields whose values are personal data (their text is masked wherever it shows up).
_PII_FIELD = re.compile(r"name|contact|e_?mail|phone|mobile|fax|iban", re.IGNORECASE)
# Shapes found in free text, with RE2 (linear time): Python's re took quadratic time on a long value without spaces
# (18 s for 80,000 characters), and a report masks every value of every relation.
_EMAIL = r"[^\s@<>()\"',;:]+@[^\s@<>()\"',;:]+\.[A-Za-z]{2,}"
_IBAN = r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b"
_QUOTED = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")  # a value as repr() quotes it in a message
_MIN_LENGTH = 3  # shorter values ("de", "BV") would mask ordinary words in messages


@functools.lru_cache(maxsize=1)
def _linear() -> tuple[Any, Any]:
    import re2

    return re2.compile(_EMAIL), re2.compile(_IBAN)


def _shapes_masked(text: str) -> str:
    """``text`` with what looks like an e-mail address or an IBAN masked."""
    if "@" not in text and not any(char.isdigit() for char in text):
        return text  # neither shape can be there
    email, iban = _linear()
    try:
        return str(iban.sub(_mask, email.sub(_mask, text)))  # a callable: RE2 garbles a non-ASCII replacement text
    except UnicodeError:  # RE2 reads UTF-8, and a lone surrogate has none: mask around it, piece by piece
        return "".join(_shapes_masked(piece) if piece else "" for piece in re.split("([\ud800-\udfff])", text))


def _mask(match: Any) -> str:
    return MASK


def is_pii(parameter: str) -> bool:
    return parameter.rsplit(".", 1)[-1] in PII_PARAMETERS


def mask_value(value: Any) -> Any:
    return MASK if isinstance(value, str) and value.strip() else value


def mask_outcome(outcome: Outcome) -> Outcome:
    """A real run's line for one relation (progress and --report), with its name and personal values masked."""
    from dataclasses import replace

    masker = Masker.for_relation({"name": outcome.name}, {})
    warnings = tuple(replace(w, message=masker.warning(w.parameter, w.message)) for w in outcome.warnings)
    return replace(outcome, name=mask_value(outcome.name), error=masker.text(outcome.error), warnings=warnings)


@dataclass(frozen=True)
class Masker:
    known: tuple[str, ...]  # this relation's personal values, longest first

    @classmethod
    def for_relation(cls, fields: dict[str, Any], payload: dict[str, Any]) -> Masker:
        values = {str(v).strip() for k, v in fields.items() if _PII_FIELD.search(k) and v not in (None, "")}
        values |= {str(v).strip() for path, v in _walk(payload) if is_pii(path) and v not in (None, "")}
        return cls(tuple(sorted((v for v in values if len(v) >= _MIN_LENGTH), key=len, reverse=True)))

    def text(self, text: str | None) -> str | None:
        if not text:
            return text
        for value in self.known:
            text = text.replace(value, MASK)
        return _shapes_masked(text)

    def warning(self, parameter: str, message: str) -> str:
        """A record warning's message: the value it quotes is masked too when the parameter holds personal data
        (a phone number a filter refused is personal, whatever this relation's other values are)."""
        text = self.text(message) or ""
        return _QUOTED.sub(f"'{MASK}'", text) if is_pii(parameter) else text

    def relation(self, entry: dict[str, Any]) -> dict[str, Any]:
        masked = dict(entry)
        masked["name"] = mask_value(entry.get("name"))
        masked["origin"] = self.text(entry.get("origin"))
        masked["reason"] = self.text(entry.get("reason"))
        masked["fields"] = [self._field(field) for field in entry.get("fields") or []]
        masked["send"] = self._send(entry.get("send"))
        if "warnings" in entry:
            masked["warnings"] = [
                {**w, "message": self.warning(w["parameter"], w["message"])} for w in entry["warnings"]
            ]
        return masked

    def _field(self, field: dict[str, Any]) -> dict[str, Any]:
        if not is_pii(field["parameter"]):
            return {k: self._scalar(v) if k != "parameter" else v for k, v in field.items()}
        return {k: mask_value(v) if k in ("before", "after", "synced", "silvasoft") else v for k, v in field.items()}

    def _scalar(self, value: Any) -> Any:
        return self.text(value) if isinstance(value, str) else value

    def _send(self, value: Any, path: str = "") -> Any:
        if isinstance(value, dict):
            return {k: self._send(v, f"{path}.{k}" if path else k) for k, v in value.items()}
        if isinstance(value, list):
            return [self._send(v, f"{path}[{i}]") for i, v in enumerate(value)]
        return mask_value(value) if is_pii(path) else self._scalar(value)


def _walk(value: Any, path: str = "") -> list[tuple[str, Any]]:
    if isinstance(value, dict):
        return [pair for k, v in value.items() for pair in _walk(v, f"{path}.{k}" if path else k)]
    if isinstance(value, list):
        return [pair for i, v in enumerate(value) for pair in _walk(v, f"{path}[{i}]")]
    return [(path, value)]
