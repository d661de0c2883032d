"""OutSmart relation fields (GET/POST /relations/), their filter keys and the filter operators."""

from __future__ import annotations

from relmap.catalog import SourceField as F

FIELDS: tuple[F, ...] = (
    F("debtor_number", "text", "Unique id of the relation (free text)", True, "debtor_number"),
    F("name", "text", "Name of the relation", True, "name"),
    F("contact", "text", "Name of the main contact person of the relation", False, "contact"),
    F("phone_number", "text", "Phone number", False, "phone"),
    F("email", "text", "Contact e-mail address", False, "email"),
    F(
        "email_workorder",
        "text",
        "E-mail address used when sending a work order to the customer",
        False,
        "werkbonmailto",
    ),
    F("street", "text", "Address street name", True, "street"),
    F("house_number", "text", "Address house number, with any addition (12a, 12-14, 7 bis)", False, "streetno"),
    F("postal_code", "text", "Address postal code (1234AB or 1234 AB)", True, "zip"),
    F("city", "text", "Address city", True, "city"),
    F("country", "text", "Address country: a code (NL) or a name (Nederland)"),
    F("remark", "text", "Free text remarks on the relation"),
    F("latitude", "decimal", "Address latitude coordinate", False, "latitude"),
    F("longitude", "decimal", "Address longitude coordinate", False, "longitude"),
    F("external_id", "text", "External id, often the id of the relation in other software", False, "external_id"),
    F("debtor_number_invoice", "text", "Debtor number used for invoicing"),
    F("kvk_number", "text", "Chamber of Commerce (KvK) number"),
    F("vat_number", "text", "VAT identification number"),
    F("debtor_type", "text", "Relation type, for example customer or lead", False, "debtor_type"),
    F("language", "text", "Language as a country code, e.g. 'nl'"),
    F("accountmanager", "text", "Account manager"),
    F("mobile", "text", "Mobile phone number", False, "mobile"),
    F("status", "text", "Status"),
    F("active", "flag", "Whether the relation is active: '0' inactive, '1' active", False, "active"),
    F("pgp_code", "text", "PGP code"),
    F("source", "text", "Lead source"),
    F("lead_phase", "text", "Lead phase"),
    F("lead_score", "text", "Lead score"),
    F("lead_value", "text", "Lead value"),
    F("loss_reason", "text", "Lead loss reason"),
    F("lead_value_recurring", "text", "Recurring lead value"),
    F("marketing_opt_out", "flag", "Marketing opt-out"),
    F("discount_sales", "number", "Discount percentage applied for this relation (integer)"),
    F("created_at", "datetime", "When the relation was created (YYYY-MM-DD HH:mm:ss)", False, "created_at"),
    F("modified_at", "datetime", "When the relation was last modified (YYYY-MM-DD HH:mm:ss)", False, "modified_at"),
    F("created_by", "text", "Employee number of who created the relation"),
    F("modified_by", "text", "Employee number of who last modified the relation"),
)

BY_NAME: dict[str, F] = {f.name: f for f in FIELDS}

# GET /relations/ filters on column names, which are partly not the JSON names.
FILTER_KEYS: dict[str, str] = {f.filter_key: f.name for f in FIELDS if f.filter_key}

OPERATORS: dict[str, str] = {
    "eq": "equals",
    "ne": "does not equal",
    "gt": "greater than",
    "ge": "greater than or equal",
    "lt": "less than",
    "le": "less than or equal",
    "li": "SQL LIKE, with % as wildcard",
}

FREEFIELD_MIN, FREEFIELD_MAX = 1, 50

# Words a mapping author may write for a field, Dutch ones first (OutSmart's own screens are Dutch, its API English):
# an unknown name that is one of these is answered with the field, where a close spelling would lead astray
# (KvK_nummer is closer to vat_number than to kvk_number).
_WORDS: dict[str, tuple[str, ...]] = {
    "debtor_number": ("debiteurnummer", "debiteur_nummer", "debiteurnr", "klantnummer", "klant_nummer", "klantnr"),
    "name": ("naam", "bedrijfsnaam", "bedrijf", "firma", "firmanaam", "klantnaam", "relatienaam", "company"),
    "contact": ("contactpersoon", "contact_persoon", "contactnaam", "aanhef"),
    "phone_number": ("telefoon", "telefoonnummer", "telefoon_nummer", "tel", "telnr", "phone", "telephone"),
    "mobile": ("mobiel", "mobiel_nummer", "mobielnummer", "mobiele_nummer", "gsm", "mobile_number", "mobile_phone"),
    "email": ("mail", "e_mail", "emailadres", "e_mailadres", "mailadres", "email_address", "e_mail_adres"),
    "email_workorder": ("werkbonmail", "werkbon_email", "werkbonmailto", "email_werkbon"),
    "street": ("straat", "straatnaam", "adres"),
    "house_number": ("huisnummer", "huis_nummer", "huisnr", "streetno", "housenumber", "toevoeging"),
    "postal_code": ("postcode", "post_code", "zip", "zipcode", "zip_code", "postalcode"),
    "city": ("plaats", "woonplaats", "plaatsnaam", "stad", "town", "vestigingsplaats"),
    "country": ("land", "landcode", "country_code"),
    "remark": ("opmerking", "opmerkingen", "notitie", "notities", "notes", "remarks"),
    "kvk_number": ("kvk", "kvk_nummer", "kvknummer", "kvk_nr", "coc", "coc_number", "kamer_van_koophandel"),
    "vat_number": ("btw", "btw_nummer", "btwnummer", "btw_nr", "btw_id", "vat", "vat_id", "omzetbelastingnummer"),
    "debtor_type": ("relatietype", "klanttype", "soort"),
    "language": ("taal",),
    "active": ("actief",),
    "latitude": ("breedtegraad",),
    "longitude": ("lengtegraad",),
    "created_at": ("aangemaakt", "aangemaakt_op"),
    "modified_at": ("gewijzigd", "gewijzigd_op"),
}
WORDS: dict[str, str] = {word: name for name, words in _WORDS.items() for word in words}
