"""The e-mail and phone filters and tests: what is normalised, what is refused, and for which region."""

from __future__ import annotations

from typing import Any

import pytest

from relmap.errors import TransformError
from relmap.mapping.filters import TESTS, email, phone

# --- e-mail -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected", "lowered"),
    [
        ("P.vanDerBerg@Gmail.com", "P.vanDerBerg@gmail.com", "p.vanderberg@gmail.com"),
        ("  Fam.Jansen@Ziggo.NL \n", "Fam.Jansen@ziggo.nl", "fam.jansen@ziggo.nl"),
        ("RENEE.LEFEVRE@KPNMAIL.NL", "RENEE.LEFEVRE@kpnmail.nl", "renee.lefevre@kpnmail.nl"),
        ("info@bakkerij-peeters.be", "info@bakkerij-peeters.be", "info@bakkerij-peeters.be"),
        ("Jörg@Bücher.DE", "Jörg@bücher.de", "jörg@bücher.de"),  # an international domain, lower-cased
        ("a@xn--bcher-kva.de", "a@bücher.de", "a@bücher.de"),  # the same domain in its ASCII form
        ("piet+factuur@example.com", "piet+factuur@example.com", "piet+factuur@example.com"),
    ],
)
def test_email_trims_and_lowers_the_domain(value: str, expected: str, lowered: str) -> None:
    assert email(value) == expected
    assert email(value, lower=True) == lowered
    assert TESTS["valid_email"](value) is True


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("piet@@fout", "the part after the @-sign contains invalid characters: '@'"),
        ("piet@fout", "the part after the @-sign is not valid. It should have a period"),
        ("piet", "an email address must have an @-sign"),
        ("piet@gmail..com", "an email address cannot have two periods in a row"),
        ("piet @gmail.com", "the email address contains invalid characters before the @-sign: SPACE"),
        ("a@b.nl; c@d.nl", "the part after the @-sign contains invalid characters: ';', '@', SPACE"),
        ("Piet <piet@x.nl>", "a display name and angle brackets around the email address are not permitted here"),
        ("piet@localhost", "the part after the @-sign is not valid. It should have a period"),
        ("piet@x.test", "the part after the @-sign is a special-use or reserved name that cannot be used with email"),
    ],
)
def test_an_invalid_address_is_never_sent(value: str, reason: str) -> None:
    with pytest.raises(TransformError) as info:
        email(value)
    hint = "test it with `is valid_email`, or give invalid='empty' to leave it out"
    assert str(info.value) == f"not a valid e-mail address: {value!r}: {reason} ({hint})"
    assert email(value, invalid="empty") == ""
    assert email(value, strict=False) == value
    assert TESTS["valid_email"](value) is False


UNREADABLE = [None, "", "  ", ["a@b.nl"], {"a": "a@b.nl"}, "a" * 10_001 + "@b.nl", 12, "\ud800@b.nl"]


@pytest.mark.parametrize("value", UNREADABLE)
def test_valid_email_never_raises(value: Any) -> None:
    assert TESTS["valid_email"](value) is False


def test_email_reads_a_capped_amount() -> None:
    with pytest.raises(TransformError, match="a value of 10,005 characters is longer than the 10,000 filters read"):
        email("a" * 10_000 + "@b.nl")
    too_long = "a" * 300 + "@b.nl"  # within what filters read, but no e-mail address is that long
    with pytest.raises(TransformError, match="too long"):
        email(too_long)
    assert email(too_long, invalid="empty") == ""


# --- phone --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "region", "expected"),
    [
        ("03 212 34 56", "BE", "+3232123456"),
        ("0470 12 34 56", "België", "+32470123456"),
        ("030 1234567", "DE", "+49301234567"),
        ("06-12345678", "", "+31612345678"),  # a blank region is Dutch
        ("06-12345678", None, "+31612345678"),
        ("+32 470 12 34 56", "NL", "+32470123456"),  # a country code wins over the region
        ("0031 6 1234 5672", "BE", "+31612345672"),
    ],
)
def test_phone_and_valid_phone_read_national_numbers_for_the_region(value: str, region: Any, expected: str) -> None:
    assert phone(value, region=region) == expected
    assert TESTS["valid_phone"](value, region) is True
    assert TESTS["valid_phone"](value, region=region) is True


def test_a_belgian_number_is_not_judged_as_dutch() -> None:
    assert TESTS["valid_phone"]("03 212 34 56") is False  # Dutch by default: 03 is no Dutch area code
    assert TESTS["valid_phone"]("03 212 34 56", "BE") is True
    assert phone("03 212 34 56") == "03 212 34 56"  # kept as typed
    assert phone("03 212 34 56", invalid="empty") == ""


@pytest.mark.parametrize("value", ["abc", "0612", "bellen via receptie", "112", "06-1234567890123", "+31"])
def test_phone_invalid_empty_gives_nothing(value: str) -> None:
    assert phone(value, invalid="empty") == ""
    assert phone(value, format="national", invalid="empty") == ""
    assert phone(value) == value
    with pytest.raises(TransformError, match="not a valid phone number"):
        phone(value, invalid="error")
    assert TESTS["valid_phone"](value) is False


@pytest.mark.parametrize(
    ("value", "region", "e164"),
    [
        ("0612345", "NL", "+31612345"),  # a plausible length, but no Dutch mobile number has 7 digits
        ("03 212 34 56", "NL", "+3132123456"),  # a Belgian number read as Dutch
        ("0600000000", "NL", "+31600000000"),  # a range that is not in use
    ],
)
def test_possible_but_not_valid_numbers(value: str, region: str, e164: str) -> None:
    """phonenumbers tells a possible number (plausible length) from a valid one (in the numbering plan): only valid
    numbers pass unless ``possible=true`` is given."""
    assert TESTS["valid_phone"](value, region) is False
    assert phone(value, region=region, invalid="empty") == ""
    assert TESTS["valid_phone"](value, region, possible=True) is True
    assert phone(value, region=region, possible=True) == e164


@pytest.mark.parametrize("value", ["0612", "112", "abc"])
def test_impossible_numbers_stay_invalid_with_possible(value: str) -> None:
    assert TESTS["valid_phone"](value, possible=True) is False
    assert phone(value, possible=True, invalid="empty") == ""


@pytest.mark.parametrize("value", [None, "", ["0612345678"], "0" * 10_001, "\ud800", 3.5, "06" + "1" * 5000])
@pytest.mark.parametrize("region", ["NL", "Narnia", None, ["BE"]])
def test_valid_phone_never_raises(value: Any, region: Any) -> None:
    assert TESTS["valid_phone"](value, region) is False
