"""Silvasoft parameters of addprivaterelation/, addbusinessrelation/ and updaterelation/ (names are case-sensitive)."""

from __future__ import annotations

from dataclasses import replace

from relmap.catalog import Param as P

ON_EXISTING = ("ABORT", "CONTINUE")
FIELD_TYPES: dict[str, str] = {  # Relation_CustomField FieldType → the *Value parameter that carries its value
    "TextSmall": "StringValue",
    "TextLarge": "StringValue",
    "List": "StringValue",
    "Hyperlink": "StringValue",
    "Integer": "IntValue",
    "Decimal": "DecimalValue",
    "Checkbox": "BooleanValue",
    "Date": "DateTimeValue",
}

CONTACT = P(
    "Relation_Contact",
    "array",
    "Contacts of the relation; the first one is the main contact",
    True,
    children=(
        P("Email", "string", "Contact e-mail address"),
        P("Phone", "string", "Contact phone number"),
        P("Sex", "string", "Contact sex", enum=("Man", "Vrouw")),
        P("FirstName", "string", "Contact first name", True),
        P("LastName", "string", "Contact last name", True),
        P("ContactNotes", "string", "Notes to be added to the contact"),
    ),
)

CUSTOM_FIELD = P(
    "Relation_CustomField",
    "array",
    "Custom field values; a field with this label must already exist in Silvasoft (CRM settings)",
    children=(
        P("Label", "string", "The label of the custom field, exactly as in Silvasoft", True, literal=True),
        P(
            "FieldType",
            "string",
            "The type of the custom field; it decides which *Value parameter is sent",
            True,
            enum=tuple(FIELD_TYPES),
        ),
        P(
            "TypeOfRelation",
            "string",
            "Only needed when labels repeat across customers, suppliers and others",
            enum=("Customer", "Supplier", "Other"),
        ),
        P("IntValue", "integer", "The value when FieldType is Integer"),
        P("DecimalValue", "decimal", "The value when FieldType is Decimal"),
        P("BooleanValue", "boolean", "The value when FieldType is Checkbox"),
        P("StringValue", "string", "The value when FieldType is TextSmall, TextLarge, List or Hyperlink"),
        P("DateTimeValue", "date", "The value when FieldType is Date"),
    ),
)

SALES_LEAD = P(
    "Relation_SalesLead",
    "array",
    "One sales lead (verkoopkans) to create with the relation; only used when CreateSalesLead is true",
    max_items=1,
    children=(
        P("SalesLeadTitle", "string", "A custom title for the sales lead"),
        P("SalesLeadStage", "string", "The sales stage to put the lead in (default stage when empty)"),
        P("SalesLeadNotes", "string", "Extra notes for the sales lead"),
    ),
)

BANK_ACCOUNT = P(
    "Relation_BankAccount",
    "object",
    "The relation's bank account",
    children=(
        P("IBAN", "string", "The IBAN of the bank account"),
        P("SkipIBANCheck", "boolean", "Skip Silvasoft's IBAN check (turned on by Silvasoft when the check fails)"),
        P("UseForExcasso", "boolean", "Whether the account is used for direct debit and payments"),
        P("BIC", "string", "Bank account BIC"),
        P("Place", "string", "Bank account place"),
        P("Name", "string", "Bank account holder name"),
    ),
)

COMMON: tuple[P, ...] = (
    P(
        "OnExistingRelationEmail",
        "string",
        "When a relation with this e-mail address exists: ABORT returns it (default), CONTINUE creates another",
        enum=ON_EXISTING,
    ),
    P(
        "OnExistingRelationNumber",
        "string",
        "When a relation with this customer number exists: ABORT returns it (default), CONTINUE creates one "
        "under a new number",
        enum=ON_EXISTING,
    ),
    P("Address_City", "string", "City of the correspondence address"),
    P("Address_Street", "string", "Street of the correspondence address"),
    P("Address_PostalCode", "string", "Postal code of the correspondence address"),
    P("Address_CountryCode", "string", "ISO 3166 alpha-2 country code of the correspondence address", country=True),
    P("Address_Unit", "string", "House number of the correspondence address"),
    P("Address_UnitAppendix", "string", "House number appendix, e.g. a, b or suite c"),
    P("IsCustomer", "boolean", "Whether the relation is marked as a customer"),
    P("IsOther", "boolean", "Whether the relation is marked as an other relation"),
    P(
        "CustomerNumber",
        "integer",
        "Customer number (a non-zero integer; 0 means empty, and Silvasoft then picks a number)",
        nonzero=True,
    ),
    P("GroupName", "string", "Group of the relation; created in Silvasoft when it does not exist yet"),
    CUSTOM_FIELD,
    P("CreateSalesLead", "boolean", "Also create a sales lead (verkoopkans) for this relation"),
    SALES_LEAD,
    BANK_ACCOUNT,
)

PRIVATE: tuple[P, ...] = (
    *COMMON[:12],
    CONTACT,
    *COMMON[12:],
    P(
        "OnExistingRelationName",
        "string",
        "When a relation with this first and last name exists: ABORT returns it, CONTINUE creates another "
        "(from an older version of the API page)",
        enum=ON_EXISTING,
    ),
)

BUSINESS: tuple[P, ...] = (
    P("Name", "string", "Company name", True),
    P("RegistrationNumber", "string", "Chamber of Commerce (KvK) number"),
    P("TaxIdentificationNumber", "string", "VAT number without the country code, e.g. 123456789B01"),
    *COMMON[:12],
    P(CONTACT.name, CONTACT.type, CONTACT.description, False, children=CONTACT.children),
    *COMMON[12:],
    P(
        "OnExistingRelationName",
        "string",
        "When a relation with this company name exists: ABORT returns it (default), CONTINUE creates another",
        enum=ON_EXISTING,
    ),
)

_BUSINESS_ONLY = ("Name", "RegistrationNumber", "TaxIdentificationNumber")
# updaterelation/ (apis.md): the only way to change a relation once it exists. Anything else a mapping sets is sent
# when the relation is created, and never again; of Relation_Contact, the main contact is replaced.
UPDATE: tuple[P, ...] = (
    P("RelationGUID", "integer", "The relation to update", True),
    P("Email", "string", "E-mail address"),
    P("Phone", "string", "Phone number"),
    *(replace(p, required=False) for p in BUSINESS if p.name in _BUSINESS_ONLY),
    *(p for p in COMMON if p.name.startswith("Address_")),
    P("SupplierNumber", "integer", "Supplier number"),
    P("CustomerNumber", "integer", "Customer number (0: unchanged)"),
    P("IsSupplier", "boolean", "Marked as supplier"),
    P("IsCustomer", "boolean", "Marked as customer"),
    P("IsOther", "boolean", "Marked as other relation"),
    P(CONTACT.name, "array", "The main contact, replacing the current one", children=CONTACT.children, max_items=1),
)
UPDATABLE = frozenset(p.name for p in UPDATE if not p.required)  # what an update can change (not the GUID it names)

ENDPOINTS: dict[str, tuple[P, ...]] = {
    "addprivaterelation": PRIVATE,
    "addbusinessrelation": BUSINESS,
}

ENDPOINT_DESCRIPTIONS: dict[str, str] = {
    "addprivaterelation": "POST addprivaterelation/: a private (consumer) relation",
    "addbusinessrelation": "POST addbusinessrelation/: a business relation (company)",
}


def param(endpoint: str, name: str) -> P | None:
    return next((p for p in ENDPOINTS.get(endpoint, ()) if p.name == name), None)
