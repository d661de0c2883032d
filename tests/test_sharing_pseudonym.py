"""Pseudonymised relations: stable, keyed fakes that keep each value's shape (relmap.pseudonym)."""

from __future__ import annotations

import json

import phonenumbers
import pytest
from conftest import SAMPLES
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum import iban as stdnum_iban
from stdnum.eu import vat
from stdnum.nl import postcode as nl_postcode

from relmap.pseudonym import Keyed, Pseudonymiser, fakes
from relmap.sources.files import read_records
from relmap.sources.records import SourceRecord

RELATIONS = [r for r in read_records(SAMPLES / "relations.json") if isinstance(r, SourceRecord)]
PERSONAL = ("name", "contact", "email", "email_workorder", "phone_number", "mobile", "street", "postal_code", "remark")


def _fake(record: SourceRecord, key: str = "k") -> SourceRecord:
    return Pseudonymiser(key).relation(record)


def test_every_personal_value_of_the_samples_is_replaced() -> None:
    originals = {r.fields[f] for r in RELATIONS for f in PERSONAL if r.fields.get(f)}
    originals |= {v for r in RELATIONS for v in r.freefields.values() if v and stdnum_iban.is_valid(v)}
    written = json.dumps([_fake(r).fields | {"ff": _fake(r).freefields} for r in RELATIONS], ensure_ascii=False)
    assert len(originals) > 100
    assert [value for value in originals if json.dumps(value, ensure_ascii=False) in written] == []


def test_keys_codes_and_flags_the_mapping_routes_on_stay() -> None:
    for record in RELATIONS:
        fake = _fake(record)
        for field in ("debtor_number", "debtor_type", "active", "country", "city", "house_number", "modified_at"):
            assert fake.fields.get(field) == record.fields.get(field)
        assert fake.freefields.get(1) == record.freefields.get(1)  # a lookup key (Contracttype) is no personal data
        assert bool(fake.fields.get("kvk_number")) == bool(record.fields.get("kvk_number"))


def test_the_same_input_gives_the_same_fake_and_another_key_another() -> None:
    record = RELATIONS[1]
    assert _fake(record, "one") == _fake(record, "one")
    assert _fake(record, "one").fields["email"] != _fake(record, "two").fields["email"]
    # one surname, one fake: the relation's name and its contact still agree
    first = _fake(RELATIONS[0])
    assert first.fields["name"].split()[-1] == first.fields["contact"].split()[-1]


def test_a_shared_e_mail_address_stays_shared_whatever_its_case() -> None:
    keyed = Keyed("k")
    assert fakes.email(keyed, "Fam.Jansen@Ziggo.nl") == fakes.email(keyed, "fam.jansen@ziggo.nl")
    assert fakes.email(keyed, "a@example.nl") != fakes.email(keyed, "b@example.nl")


def test_fakes_keep_their_shape() -> None:
    for record in RELATIONS:
        fake = _fake(record)
        for field in ("email", "email_workorder"):
            if record.fields.get(field) and "@" in (record.fields[field] or ""):
                local, domain = (fake.fields[field] or "").split("@")
                assert local and "." in domain and " " not in local
        for field in ("phone_number", "mobile"):
            original, made = record.fields.get(field) or "", fake.fields.get(field) or ""
            assert _valid_phone(made) == _valid_phone(original), (original, made)
            if any(c.isdigit() for c in original):
                assert len(made) == len(original)
        original, made = record.fields.get("postal_code") or "", fake.fields.get("postal_code") or ""
        if record.fields.get("country") == "NL":
            assert nl_postcode.is_valid(made) == nl_postcode.is_valid(original), (original, made)
        for value, faked in zip(record.freefields.values(), fake.freefields.values(), strict=True):
            if value and fakes.IBAN_SHAPE.fullmatch("".join(value.split()).upper()):
                assert stdnum_iban.is_valid(faked) == stdnum_iban.is_valid(value), (value, faked)
        if record.fields.get("vat_number"):
            assert vat.is_valid(fake.fields["vat_number"]) == vat.is_valid(record.fields["vat_number"])


def _valid_phone(text: str) -> bool:
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(text, "NL"))
    except phonenumbers.NumberParseException:
        return False


@settings(max_examples=200, deadline=None)
@given(st.from_regex(r"NL[0-9]{2}[A-Z]{4}[0-9]{10}", fullmatch=True), st.text(min_size=1, max_size=8))
def test_an_iban_stays_an_iban_valid_exactly_when_the_original_was(value: str, key: str) -> None:
    made = fakes.iban(Keyed(key), value)
    assert made != value and made[:2] == "NL" and made[4:8] == value[4:8] and len(made) == len(value)
    assert stdnum_iban.is_valid(made) == stdnum_iban.is_valid(value)


@settings(max_examples=200, deadline=None)
@given(st.from_regex(r"06[1-5][0-9]{7}|0[1-57-9][0-9]-?[0-9]{7}", fullmatch=True))
def test_a_dutch_phone_number_stays_one(value: str) -> None:
    made = fakes.phone(Keyed("k"), value)
    assert len(made) == len(value) and made != value
    assert _valid_phone(made) == _valid_phone(value)
    if _valid_phone(value):
        assert made[:3] == value[:3]  # the area code or mobile prefix stays


@settings(max_examples=200, deadline=None)
@given(st.from_regex(r"[1-9][0-9]{3} ?[A-Za-z]{2}", fullmatch=True))
def test_a_dutch_postcode_stays_one(value: str) -> None:
    made = fakes.postcode(Keyed("k"), value)
    assert len(made) == len(value) and (" " in made) == (" " in value)
    assert nl_postcode.is_valid(made) == nl_postcode.is_valid(value)


def test_an_empty_key_is_refused() -> None:
    with pytest.raises(ValueError, match="empty"):
        Keyed("")


def test_coordinates_lose_their_precision_but_keep_their_form() -> None:
    assert fakes.coordinate("52.2007013") == "52.2000000"
    assert fakes.coordinate("-5.0978") == "-5.0900"
    assert fakes.coordinate("n/a") == "n/a"


def test_fields_relmap_does_not_know_are_treated_as_personal() -> None:
    from relmap.sources.records import SourceRecord

    fields = {
        "debtor_number": "10001",
        "debtor_type": "customer",
        "status": "active",
        "loss_reason": "Klant Piet Jansen verhuisd naar Utrecht",
        "source": "via buurman Kees de Boer",
        "email_invoice": "facturen.jansen@ziggo.nl",
        "iban": "NL91ABNA0417164300",
        "bsn": "123456782",
        "contact_2": "Mevr. A. Jansen",
    }
    faked = Pseudonymiser("k").relation(SourceRecord(0, "t:1", fields, {})).fields
    for name in ("debtor_number", "debtor_type", "status"):
        assert faked[name] == fields[name]  # the codes a mapping routes on
    for name in ("loss_reason", "source", "email_invoice", "iban", "bsn", "contact_2"):
        assert faked[name] != fields[name], name
        for word in ("Jansen", "Piet", "Kees", "Boer", "facturen", "0417164300", "123456782"):
            assert word not in str(faked[name]), (name, faked[name])
    assert "@" in str(faked["email_invoice"]) and stdnum_iban.is_valid(str(faked["iban"]))
