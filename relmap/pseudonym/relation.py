"""Which OutSmart relation fields hold personal data, and the fake each gets (fields: the OutSmart relation page).

Kept as they are: keys and codes the mapping routes, skips and looks up on (debtor numbers, types, flags, dates,
country, language, status and lead codes, amounts), the house number and city (not personal once street and postcode
are fakes), listed in KEPT. Every other field (loss_reason, source, an extra field this relmap does not know) is
treated as personal: a value shaped like an IBAN, an e-mail address or a phone number gets a fake of that shape, any
other text made-up words. Freefields are kept, except values shaped like an IBAN, an e-mail address or a phone number.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from relmap.pseudonym import fakes
from relmap.pseudonym.keyed import DEFAULT_KEY, Keyed
from relmap.sources.records import SourceRecord

Fake = Callable[[Keyed, str, SourceRecord], str]
_EMAIL_SHAPE = re.compile(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}")
_PHONE_SHAPE = re.compile(r"\+?[\d ()-]{9,20}")


def _name(keyed: Keyed, value: str, record: SourceRecord) -> str:
    company = fakes.is_company(value) or bool(record.fields.get("kvk_number") or record.fields.get("vat_number"))
    return fakes.company_name(keyed, value) if company else fakes.person_name(keyed, value)


def _phone(keyed: Keyed, value: str, record: SourceRecord) -> str:
    from relmap.mapping.filters.countries import region

    return fakes.phone(keyed, value, region(record.fields.get("country") or "", default="NL"))


FIELDS: dict[str, Fake] = {
    "name": _name,
    "contact": lambda keyed, value, record: fakes.person_name(keyed, value),
    "accountmanager": lambda keyed, value, record: fakes.given_name(keyed, value),
    "email": lambda keyed, value, record: fakes.email(keyed, value),
    "email_workorder": lambda keyed, value, record: fakes.email(keyed, value),
    "phone_number": _phone,
    "mobile": _phone,
    "street": lambda keyed, value, record: fakes.street(keyed, value),
    "postal_code": lambda keyed, value, record: fakes.postcode(keyed, value),
    "remark": lambda keyed, value, record: fakes.free_text(keyed, value),
    "latitude": lambda keyed, value, record: fakes.coordinate(value),
    "longitude": lambda keyed, value, record: fakes.coordinate(value),
    "kvk_number": lambda keyed, value, record: fakes.number(keyed, "kvk", value),
    "vat_number": lambda keyed, value, record: fakes.number(keyed, "vat", value),
}


KEPT = frozenset(
    {
        "debtor_number", "debtor_number_invoice", "debtor_type", "active", "country", "language", "house_number",
        "city", "created_at", "modified_at", "status", "lead_phase", "lead_score", "lead_value",
        "lead_value_recurring", "discount_sales", "marketing_opt_out", "external_id",
        *(f"val_value_{n}" for n in range(1, 8)),
    }
)  # fmt: skip


class Pseudonymiser:
    """Turns a relation into its pseudonymised copy: the same key and relation always give the same copy."""

    def __init__(self, key: str = DEFAULT_KEY) -> None:
        self.keyed = Keyed(key)

    def relation(self, record: SourceRecord) -> SourceRecord:
        fields = {name: self._field(name, value, record) for name, value in record.fields.items()}
        freefields = {number: self._freefield(value, record) for number, value in record.freefields.items()}
        return SourceRecord(record.index, record.origin, fields, freefields)

    def _field(self, name: str, value: str | None, record: SourceRecord) -> str | None:
        if value is None or not value.strip() or name in KEPT:
            return value
        fake = FIELDS.get(name)
        if fake is not None:
            return fake(self.keyed, value, record)
        shaped = self._freefield(value, record)  # a field relmap does not know: personal until shown otherwise
        return shaped if shaped != value else fakes.free_text(self.keyed, value)

    def _freefield(self, value: str | None, record: SourceRecord) -> str | None:
        if value is None or not value.strip():
            return value
        text = value.strip()
        if fakes.IBAN_SHAPE.fullmatch("".join(text.split()).upper()):
            return fakes.iban(self.keyed, value)
        if _EMAIL_SHAPE.fullmatch(text):
            return fakes.email(self.keyed, value)
        if _PHONE_SHAPE.fullmatch(text) and sum(c.isdigit() for c in text) >= 9:
            return _phone(self.keyed, value, record)
        return value
