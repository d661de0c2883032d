"""The words fakes are made of: common Dutch given names, surnames and street words (none of them a person)."""

from __future__ import annotations

GIVEN_NAMES = (
    "Anna", "Bram", "Daan", "Eva", "Femke", "Gijs", "Hanna", "Ilse", "Joris", "Karin", "Lars", "Marit", "Niels",
    "Olga", "Pim", "Roos", "Sven", "Tessa", "Ruben", "Wouter", "Yara", "Lotte", "Koen", "Maaike", "Bas", "Sanne",
    "Thijs", "Noor", "Jesse", "Fleur", "Stijn", "Esther",
)  # fmt: skip
SURNAMES = (
    "Bakker", "Visser", "Smits", "Meijer", "Bos", "Mulder", "Dekker", "Brouwer", "Kok", "Vermeulen", "Hoekstra",
    "Koster", "Prins", "Huisman", "Peters", "Kuiper", "Veenstra", "Schouten", "Wijnands", "Postma", "Bosman",
    "Timmer", "Kramer", "Willems", "Verhoeven", "Molenaar", "Dijkstra", "Jonker", "Blom", "Boer", "Maas", "Hermans",
)  # fmt: skip
STREET_STEMS = (
    "Linden", "Eiken", "Beuken", "Berken", "Kastanje", "Wilgen", "Populieren", "Esdoorn", "Meidoorn", "Vlier",
    "Zonne", "Molen", "Kerk", "School", "Dorps", "Haven", "Sluis", "Brink", "Veld", "Heide", "Duin", "Polder",
    "Rozen", "Tulpen", "Lelie", "Iris", "Klaver", "Hazel", "Vinken", "Merel", "Lijster", "Reiger",
)  # fmt: skip
STREET_ENDINGS = ("straat", "weg", "laan", "dijk", "pad", "plein", "singel", "kade", "hof", "gracht")
COMPANY_WORDS = (
    "Noorderlicht", "Zuidwind", "Oostpoort", "Westhoek", "Middenweg", "Kustlijn", "Heuvelrug", "Rivierland",
    "Polderzicht", "Duinrand", "Veldzicht", "Bosrand", "Waterkant", "Zonnehoek", "Meerzicht", "Lindeboom",
)  # fmt: skip
TRADES = ("Techniek", "Installaties", "Service", "Bouw", "Onderhoud", "Advies", "Groep", "Handel")
FILLER_WORDS = (
    "graag", "bellen", "voor", "na", "de", "het", "achterom", "sleutel", "bij", "buren", "ketel", "meter", "zolder",
    "kelder", "afspraak", "ochtend", "middag", "factuur", "per", "mail", "hond", "aanwezig", "parkeren", "poort",
)  # fmt: skip
# Providers whose domain says nothing about a person: kept, so addresses stay as they look in real data.
PUBLIC_MAIL_DOMAINS = frozenset(
    {
        "gmail.com", "hotmail.com", "outlook.com", "live.nl", "live.com", "icloud.com", "yahoo.com", "proton.me",
        "ziggo.nl", "kpnmail.nl", "kpnplanet.nl", "planet.nl", "home.nl", "hetnet.nl", "chello.nl", "xs4all.nl",
        "zeelandnet.nl", "quicknet.nl", "telenet.be", "skynet.be", "web.de", "gmx.de", "hotmail.nl", "msn.com",
    }
)  # fmt: skip
# Words of a person's name that say nothing about who it is; kept so that name splitting works as on real data.
SALUTATIONS = frozenset(
    {"dhr", "dhr.", "mevr", "mevr.", "mw", "mw.", "mr", "mr.", "mrs", "mrs.", "fam", "fam.", "familie", "de heer",
     "heer", "mevrouw", "ir.", "ing.", "dr.", "drs.", "prof.", "herr", "frau", "mme", "mme."}
)  # fmt: skip
PARTICLES = frozenset(
    {"van", "der", "den", "de", "het", "ten", "ter", "te", "op", "in", "'t", "v.", "d.", "vd", "v.d.", "la", "le",
     "du", "von", "zu", "di", "da", "el", "al", "bin", "ben", "en", "&"}
)  # fmt: skip
LEGAL_FORMS = frozenset(
    {"b.v.", "bv", "b.v", "n.v.", "nv", "v.o.f.", "vof", "c.v.", "cv", "holding", "stichting", "vereniging",
     "vve", "coöperatie", "u.a.", "gmbh", "bvba", "sprl", "ltd", "inc.", "zn.", "zonen", "&"}
)  # fmt: skip
