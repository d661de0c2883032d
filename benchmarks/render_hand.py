"""The shipped mappings written by hand: plain Python that does exactly what each mapping does, for speed.

``benchmarks/render.py`` times each against ``Renderer(plan).render`` and asserts identical results. Each transform
is what one would write for speed: every contact name is split once (``relmap.mapping.filters.names.split_name``, where
a mapping's ``first_name``, ``last_name`` and ``salutation_sex`` split it again) and every country is looked up once
(where a mapping's ``country_code`` runs for the postcode and again for the country). They call the same
``relmap.mapping.filters`` functions otherwise, and ``relmap.mapping.convert.convert`` where a mapping converts a type
other than text. So the difference is the mapping machinery (templates, through the direct path or Jinja, rules,
groups and arrays, conversion by declared type, collecting errors); the mapping's repeated splits and look-ups are
answered by the filters' small memo.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from relmap.catalog import Param
from relmap.catalog.silvasoft import param
from relmap.errors import TransformError
from relmap.mapping.convert import convert, describe
from relmap.mapping.filters import FILTERS, TESTS
from relmap.mapping.filters.names import split_name
from relmap.mapping.render import FieldError, Rendered, Status
from relmap.sources.records import SourceRecord

# ---- mappings/business-routing.yaml ----------------------------------------------------------------------------


postcode_filter = FILTERS["postcode"]
country_code = FILTERS["country_code"]
house_unit = FILTERS["house_unit"]
house_appendix = FILTERS["house_appendix"]
phone = FILTERS["phone"]
email_filter = FILTERS["email"]
valid_phone = TESTS["valid_phone"]
valid_email = TESTS["valid_email"]
kvk = FILTERS["kvk"]
vat_filter = FILTERS["vat_number"]
is_blank = TESTS["blank"]


def catalog_param(endpoint: str, name: str) -> Param:
    found = param(endpoint, name)
    assert found is not None, name
    return found


CUSTOMER_NUMBER = catalog_param("addprivaterelation", "CustomerNumber")
DEFAULT_COUNTRY = "NL"  # vars.default_country
NOT_A_CUSTOMER = "source filter debtor_type eq 'customer'"
INACTIVE = "inactive in OutSmart"
REQUIRED = "required, but empty"


def business_routing(record: SourceRecord) -> Rendered:
    """What Renderer(plan).render gives for mappings/business-routing.yaml, without the mapping machinery."""
    fields = record.fields
    debtor_type = fields.get("debtor_type")
    if debtor_type is None or debtor_type.strip().casefold() != "customer":
        return Rendered(record.index, record.origin, record.debtor_number, "skipped", reason=NOT_A_CUSTOMER)
    if fields.get("active") == "0":
        return Rendered(record.index, record.origin, record.debtor_number, "skipped", reason=INACTIVE)
    errors: list[FieldError] = []
    if fields.get("kvk_number") or fields.get("vat_number"):
        route, endpoint, payload = "companies", "addbusinessrelation", company_payload(fields, errors)
    else:
        route, endpoint, payload = "consumers", "addprivaterelation", consumer_payload(fields, errors)
    if errors:
        return Rendered(
            record.index, record.origin, record.debtor_number, "error", route, endpoint, errors=tuple(errors)
        )
    return Rendered(record.index, record.origin, record.debtor_number, "ok", route, endpoint, payload)


def company_payload(fields: dict[str, str | None], errors: list[FieldError]) -> dict[str, Any]:
    payload: dict[str, Any] = {}
    if not put(payload, "Name", fields.get("name")):
        errors.append(FieldError("Name", REQUIRED, None))
    kvk_number = fields.get("kvk_number")
    if not is_blank(kvk_number):
        try:
            put(payload, "RegistrationNumber", kvk(kvk_number))
        except TransformError as exc:
            errors.append(FieldError("RegistrationNumber", str(exc), None))
    put(payload, "TaxIdentificationNumber", vat_filter(fields.get("vat_number")))
    address(fields, payload, errors)
    payload["IsCustomer"] = True
    customer_number(fields, payload, errors)
    payload["GroupName"] = "Zakelijk"
    contact, country = fields.get("contact"), fields.get("country")
    if not is_blank(contact):
        person: dict[str, Any] = {}
        work, mail = fields.get("email_workorder"), fields.get("email")
        if valid_email(work) or valid_email(mail):
            put(person, "Email", email_filter(work if valid_email(work) else mail, lower=True))
        if valid_phone(fields.get("phone_number"), country):
            put(person, "Phone", phone(fields.get("phone_number"), region=country))
        split = split_name(contact)  # once, where the mapping's three filters split it three times
        put(person, "Sex", split["sex"])
        person["FirstName"] = text(split["first"]) or "-"
        put(person, "LastName", text(split["last"]) or fields.get("name"))
        payload["Relation_Contact"] = [person]
    payload["OnExistingRelationName"] = "CONTINUE"
    return payload


def consumer_payload(fields: dict[str, str | None], errors: list[FieldError]) -> dict[str, Any]:
    payload: dict[str, Any] = {}
    address(fields, payload, errors)
    payload["IsCustomer"] = True
    customer_number(fields, payload, errors)
    payload["GroupName"] = "Particulier"
    contact, country = fields.get("contact"), fields.get("country")
    who = contact or fields.get("name")
    person: dict[str, Any] = {}
    if valid_email(fields.get("email")):
        put(person, "Email", email_filter(fields.get("email"), lower=True))
    number = fields.get("mobile") or fields.get("phone_number")
    if valid_phone(number, country):
        put(person, "Phone", phone(number, region=country))
    split = split_name(who)
    put(person, "Sex", (split if who is contact else split_name(contact))["sex"])
    person["FirstName"] = text(split["first"]) or "-"
    if not put(person, "LastName", split["last"]):
        errors.append(FieldError("Relation_Contact[0].LastName", REQUIRED, None))
    payload["Relation_Contact"] = [person]
    return payload


def address(fields: dict[str, str | None], payload: dict[str, Any], errors: list[FieldError]) -> str | Exception:
    """The address block every shipped mapping has; gives the country code, or why there is none."""
    put(payload, "Address_City", fields.get("city"))
    put(payload, "Address_Street", fields.get("street"))
    try:  # once, where the mapping looks the country up for the postcode and again for the country code
        country: str | None = country_code(fields.get("country"), default=DEFAULT_COUNTRY)
    except TransformError as exc:
        country, failed = None, str(exc)
    try:
        if country is None:
            raise TransformError(failed)
        put(payload, "Address_PostalCode", postcode_filter(fields.get("postal_code"), country))
    except TransformError as exc:
        errors.append(FieldError("Address_PostalCode", str(exc), None))
    if country is None:
        errors.append(FieldError("Address_CountryCode", failed, None))
    else:
        put(payload, "Address_CountryCode", country)
    house = fields.get("house_number")
    put(payload, "Address_Unit", house_unit(house))
    put(payload, "Address_UnitAppendix", house_appendix(house))
    return TransformError(failed) if country is None else country


def customer_number(fields: dict[str, str | None], payload: dict[str, Any], errors: list[FieldError]) -> None:
    try:
        number = convert(fields.get("debtor_number"), CUSTOMER_NUMBER)
    except TransformError as exc:
        errors.append(FieldError("CustomerNumber", str(exc), None))
        return
    if number is not None:
        payload["CustomerNumber"] = number


def text(value: str | None) -> str | None:
    """A text parameter's value: stripped, and None (left out) when blank."""
    return (value.strip() or None) if value is not None else None


def put(payload: dict[str, Any], name: str, value: str | None) -> bool:
    """Set a text parameter unless it is blank; True when it was set."""
    cleaned = text(value)
    if cleaned is None:
        return False
    payload[name] = cleaned
    return True


def result(record: SourceRecord, route: str, endpoint: str, payload: dict[str, Any], errors: list[FieldError],
           warnings: tuple[FieldError, ...] = ()) -> Rendered:  # fmt: skip
    status: Status = "error" if errors else "ok"
    sent = None if errors else payload
    return Rendered(
        record.index, record.origin, record.debtor_number, status, route, endpoint, sent, tuple(errors),
        warnings=warnings,
    )  # fmt: skip


def skipped(record: SourceRecord, reason: str) -> Rendered:
    return Rendered(record.index, record.origin, record.debtor_number, "skipped", reason=reason)


def is_one(value: str | None) -> bool:
    """The source filter ``active eq "1"``, compared as OutSmart's filter compares: as numbers when both are."""
    if value is None:
        return False
    try:
        return float(value) == 1.0
    except ValueError:
        return value.strip().casefold() == "1"


def reach(person: dict[str, Any], mail: str | None, number: str | None, country: str | None) -> None:
    """Email and Phone of a contact, each only when valid (the mappings' ``when``)."""
    if valid_email(mail):
        put(person, "Email", email_filter(mail, lower=True))
    if valid_phone(number, country):
        put(person, "Phone", phone(number, region=country))


# ---- mappings/private-relations.yaml ---------------------------------------------------------------------------

NOT_ACTIVE = "source filter active eq '1'"
LEADS = "leads are not invoiced"


def private_relations(record: SourceRecord) -> Rendered:
    fields = record.fields
    if not is_one(fields.get("active")):
        return skipped(record, NOT_ACTIVE)
    if (fields.get("debtor_type") or "").lower() == "lead":
        return skipped(record, LEADS)
    errors: list[FieldError] = []
    payload: dict[str, Any] = {"OnExistingRelationEmail": "ABORT", "OnExistingRelationNumber": "ABORT"}
    address(fields, payload, errors)
    payload["IsCustomer"] = True
    customer_number(fields, payload, errors)
    payload["GroupName"] = "Particulieren"
    contact, country = fields.get("contact"), fields.get("country")
    person: dict[str, Any] = {}
    reach(person, fields.get("email"), fields.get("mobile") or fields.get("phone_number"), country)
    who = contact or fields.get("name")
    split = split_name(who)
    put(person, "Sex", (split if who is contact else split_name(contact))["sex"])
    person["FirstName"] = text(split["first"]) or "-"
    put(person, "LastName", split["last"])
    put(person, "ContactNotes", fields.get("remark"))
    if "LastName" not in person:
        errors.append(FieldError("Relation_Contact[0].LastName", REQUIRED, None))
    payload["Relation_Contact"] = [person]
    return result(record, "consumers", "addprivaterelation", payload, errors)


# ---- mappings/bookkeeping-policy.yaml --------------------------------------------------------------------------

to_bool = FILTERS["to_bool"]
matching = TESTS["matching"]
numeric_id = TESTS["numeric_id"]


def bookkeeping_policy(record: SourceRecord) -> Rendered:
    fields = record.fields
    try:
        inactive = to_bool(fields.get("active") or "") is False
    except TransformError as exc:
        error = FieldError("skip when", str(exc), None)
        return Rendered(record.index, record.origin, record.debtor_number, "error", errors=(error,))
    if inactive:
        return skipped(record, INACTIVE)
    if matching(fields.get("debtor_type") or "", "lead", ignorecase=True):
        return skipped(record, LEADS)
    errors: list[FieldError] = []
    warnings: list[FieldError] = []
    payload: dict[str, Any] = {}
    contact = fields.get("contact")
    if not is_blank(fields.get("kvk_number")) or not is_blank(fields.get("vat_number")):
        route, endpoint = "companies", "addbusinessrelation"
        if not put(payload, "Name", fields.get("name")):
            errors.append(FieldError("Name", REQUIRED, None))
        put(payload, "TaxIdentificationNumber", vat_filter(fields.get("vat_number")))
        country = common(fields, payload, errors)
        if not is_blank(contact):
            payload["Relation_Contact"] = [policy_contact(fields, contact, country, errors, warnings)]
    else:
        route, endpoint = "private", "addprivaterelation"
        country = common(fields, payload, errors)
        who = contact if not is_blank(contact) else fields.get("name")
        payload["Relation_Contact"] = [policy_contact(fields, who, country, errors, warnings)]
    return result(record, route, endpoint, payload, errors, tuple(warnings))


def common(fields: dict[str, str | None], payload: dict[str, Any], errors: list[FieldError]) -> str | Exception:
    """The x-common block: the address, IsCustomer, and CustomerNumber only from a numeric debtor number."""
    country = address(fields, payload, errors)
    payload["IsCustomer"] = True
    if numeric_id(fields.get("debtor_number") or ""):
        customer_number(fields, payload, errors)
    return country


def policy_contact(
    fields: dict[str, str | None], who: str | None, country: str | Exception, errors: list[FieldError],
    warnings: list[FieldError],
) -> dict[str, Any]:  # fmt: skip
    """The contact with the x-reach block: an e-mail address or phone number that is not valid is a warning."""
    person: dict[str, Any] = {}
    try:
        put(person, "Email", email_filter(fields.get("email"), lower=True))
    except TransformError as exc:
        warnings.append(FieldError("Relation_Contact[0].Email", str(exc), None))
    mobile = fields.get("mobile")
    number = mobile if not is_blank(mobile) else fields.get("phone_number")
    try:
        if isinstance(country, Exception):
            raise country  # the template looks the country up for the region, and fails the same way
        put(person, "Phone", phone(number, region=country, invalid="error"))
    except TransformError as exc:
        warnings.append(FieldError("Relation_Contact[0].Phone", str(exc), None))
    split = split_name(who)
    person["FirstName"] = text(split["first"]) or "-"
    if not put(person, "LastName", split["last"]):
        errors.append(FieldError("Relation_Contact[0].LastName", REQUIRED, None))
    return person


# ---- mappings/freefields-custom-fields.yaml --------------------------------------------------------------------

iban = FILTERS["iban"]
GROUPS = {"Onderhoud": "Onderhoudscontract", "Storing": "Storingsklant", "Geen": "Particulier"}
KNOWN_GROUPS = ", ".join(repr(key) for key in GROUPS)
CUSTOM_VALUES = {
    name: next(c for c in catalog_param("addprivaterelation", "Relation_CustomField").children if c.name == name)
    for name in ("IntValue", "BooleanValue", "DateTimeValue")
}
# (Label, FieldType, value parameter, freefield number); Nieuwsbrief (4) is read with to_bool
CUSTOM_FIELDS = (
    ("Contracttype", "List", "StringValue", 1),
    ("Klant sinds", "Date", "DateTimeValue", 2),
    ("Aantal installaties", "Integer", "IntValue", 3),
    ("Nieuwsbrief", "Checkbox", "BooleanValue", 4),
    ("Betaaltermijn (dagen)", "Integer", "IntValue", 6),
    ("Factuuropmerking", "TextLarge", "StringValue", 7),
)
NOT_A_CUSTOMER_OR_INACTIVE = (NOT_ACTIVE, NOT_A_CUSTOMER)
DATE_FORMAT = "%d-%m-%Y"  # target.silvasoft.date_format


def freefields_custom_fields(record: SourceRecord) -> Rendered:
    fields, ff = record.fields, record.freefields
    if not is_one(fields.get("active")):
        return skipped(record, NOT_ACTIVE)
    debtor_type = fields.get("debtor_type")
    if debtor_type is None or debtor_type.strip().casefold() != "customer":
        return skipped(record, NOT_A_CUSTOMER)
    errors: list[FieldError] = []
    payload: dict[str, Any] = {}
    address(fields, payload, errors)
    payload["IsCustomer"] = True
    customer_number(fields, payload, errors)
    group = (ff.get(1) or "").strip()
    if group in GROUPS:
        payload["GroupName"] = GROUPS[group]
    elif group:
        message = f"{describe(group)} is not in the map (known: {KNOWN_GROUPS}); add it, or give a default:"
        errors.append(FieldError("GroupName", message, None))
    else:
        payload["GroupName"] = "Particulier"
    person: dict[str, Any] = {}
    reach(person, fields.get("email"), fields.get("mobile") or fields.get("phone_number"), fields.get("country"))
    split = split_name(fields.get("contact") or fields.get("name"))
    person["FirstName"] = text(split["first"]) or "-"
    if not put(person, "LastName", split["last"]):
        errors.append(FieldError("Relation_Contact[0].LastName", REQUIRED, None))
    payload["Relation_Contact"] = [person]
    custom = [item for index, spec in enumerate(CUSTOM_FIELDS) if (item := custom_field(index, spec, ff, errors))]
    if custom:
        payload["Relation_CustomField"] = custom
    iban_text = ff.get(5)
    if not is_blank(iban_text):
        bank: dict[str, Any] = {}
        try:
            put(bank, "IBAN", iban(iban_text))
        except TransformError as exc:
            errors.append(FieldError("Relation_BankAccount.IBAN", str(exc), None))
        bank["UseForExcasso"] = False
        put(bank, "Name", fields.get("name"))
        if "IBAN" in bank or "Name" in bank:
            payload["Relation_BankAccount"] = bank
    return result(record, "customers", "addprivaterelation", payload, errors)


def custom_field(
    index: int, spec: tuple[str, str, str, int], ff: dict[int, str | None], errors: list[FieldError]
) -> dict[str, Any] | None:
    """One Relation_CustomField item, or None when its freefield is empty (an item of constants only is left out)."""
    label, field_type, name, number = spec
    raw = ff.get(number) or ""
    try:
        if number == 4:
            value: Any = convert(to_bool(raw), CUSTOM_VALUES[name])
        elif name == "StringValue":
            value = text(raw)
        else:
            value = convert(raw, CUSTOM_VALUES[name], DATE_FORMAT)
    except TransformError as exc:
        errors.append(FieldError(f"Relation_CustomField[{index}].{name}", str(exc), None))
        return None
    if value is None:
        return None
    return {"Label": label, "FieldType": field_type, name: value}


HAND: dict[str, Callable[[SourceRecord], Rendered]] = {
    "business-routing.yaml": business_routing,
    "private-relations.yaml": private_relations,
    "bookkeeping-policy.yaml": bookkeeping_policy,
    "freefields-custom-fields.yaml": freefields_custom_fields,
}
