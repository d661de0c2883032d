"""first_name / last_name / salutation_sex on the contact names OutSmart holds for Dutch relations."""

from __future__ import annotations

from typing import Any

import pytest

from relmap.mapping.filters import ArgumentError, first_name, last_name, salutation_sex, split_name


@pytest.mark.parametrize(
    ("value", "first", "last", "sex"),
    [
        # a call name (roepnaam) in parentheses or quotes is the first name; a remark at the end is left out
        ("J.P. (Jan-Pieter) de Vries", "Jan-Pieter", "de Vries", ""),
        ("Dhr. J. (Jan) Jansen", "Jan", "Jansen", "Man"),
        ('Johannes "Hans" de Boer', "Hans", "de Boer", ""),
        ("(Jan) de Vries", "Jan", "de Vries", ""),
        ("Jansen (vakantiewoning)", "", "Jansen", ""),
        ("Piet Jansen (eigenaar)", "Piet", "Jansen", ""),
        ("J.P. (Jan-Pieter de Vries", "J.P. Jan-Pieter", "de Vries", ""),  # an unclosed parenthesis is dropped
        # a role or label before a colon, and "t.a.v."
        ("Secretaris: Mevr. K. Visser", "K.", "Visser", "Vrouw"),
        ("Contactpersoon: Piet de Boer", "Piet", "de Boer", ""),
        ("T.a.v. Dhr. P. Jansen", "P.", "Jansen", "Man"),
        ("t.a.v. de heer Jansen", "", "Jansen", "Man"),
        ("Jansen:", "", "Jansen", ""),
        # one word, and a salutation with one word
        ("Bas", "", "Bas", ""),
        ("Fam. Jansen", "", "Jansen", ""),
        ("Familie van der Berg", "", "van der Berg", ""),
        # initials with and without dots, spaced or glued to the name
        ("J.P. de Vries", "J.P.", "de Vries", ""),
        ("JP de Vries", "JP", "de Vries", ""),
        ("J. P. de Vries", "J. P.", "de Vries", ""),
        ("J.P.de Vries", "J.P.", "de Vries", ""),
        ("J.P.Jansen", "J.P.", "Jansen", ""),
        ("Dhr.J.Jansen", "J.", "Jansen", "Man"),
        ("J P Jansen", "J P", "Jansen", ""),
        # double surnames
        ("Anna Smit-de Boer", "Anna", "Smit-de Boer", ""),
        ("Anna Smit - de Boer", "Anna", "Smit-de Boer", ""),
        ("Mevr. M. Janssen-Peters", "M.", "Janssen-Peters", "Vrouw"),
        ("Piet de Boer-van der Berg", "Piet", "de Boer-van der Berg", ""),
        ("Smit-de Boer, Anna", "Anna", "Smit-de Boer", ""),
        ("Pieter-Jan de Boer", "Pieter-Jan", "de Boer", ""),
        # prefixes stay in the last name
        ("Kees van der Meer", "Kees", "van der Meer", ""),
        ("Inge ter Horst", "Inge", "ter Horst", ""),
        ("Jan 't Hart", "Jan", "'t Hart", ""),
        ("'t Hart", "", "'t Hart", ""),
        ("Lisa van Dijk", "Lisa", "van Dijk", ""),
        ("Mevr. de Wit", "", "de Wit", "Vrouw"),
    ],
)
def test_dutch_contact_names(value: str, first: str, last: str, sex: str) -> None:
    assert split_name(value) == {"first": first, "last": last, "sex": sex}
    assert first_name(value) == first
    assert last_name(value) == last
    assert salutation_sex(value) == sex


@pytest.mark.parametrize(
    ("value", "first", "last"),
    [
        ("Bas", "Bas", ""),  # one word alone: the first name, when the mapping says so
        ("Jansen (eigenaar)", "Jansen", ""),
        ("Fam. Jansen", "", "Jansen"),  # after a salutation one word is always the last name
        ("Dhr. Bas", "", "Bas"),
        ("(Bas) Jansen", "Bas", "Jansen"),  # beside a call name too
        ("van Dijk", "", "van Dijk"),
        ("Piet Jansen", "Piet", "Jansen"),  # two words: single does not apply
    ],
)
def test_single_first_reads_one_word_as_the_first_name(value: str, first: str, last: str) -> None:
    assert first_name(value, single="first") == first
    assert last_name(value, single="first") == last
    assert split_name(value, single="first")["first"] == first


@pytest.mark.parametrize(
    ("value", "first"),
    [
        ("J.P. (Jan-Pieter) de Vries", "J.P."),
        ('Johannes "Hans" de Boer', "Johannes"),
        ("(Jan) de Vries", "Jan"),  # nothing else to give
        ("Piet de Vries", "Piet"),
    ],
)
def test_call_name_false_gives_the_first_names_or_initials(value: str, first: str) -> None:
    assert first_name(value, call_name=False) == first
    assert last_name(value) == split_name(value, call_name=False)["last"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"single": "middle"}, "unknown single='middle' (expected one of last, first)"),
        ({"single": None}, "unknown single=None (expected one of last, first)"),
        ({"call_name": "no"}, "call_name= takes true or false, not 'no'"),
    ],
)
def test_a_wrong_argument_is_an_error_even_for_a_blank_name(kwargs: dict[str, Any], message: str) -> None:
    for value in ("Piet Jansen", "", None):
        with pytest.raises(ArgumentError) as info:
            first_name(value, **kwargs)
        assert str(info.value) == message


def test_a_long_name_is_read_in_linear_time() -> None:
    """The name rules are regular expressions over up to 10,000 characters: none of them backtracks."""
    import time

    for value in ("J." * 4_999, "(" * 9_999 + "x", "a-" * 4_999, "van " * 2_499 + "Dam", "a:" * 4_999, '"' * 9_999):
        started = time.perf_counter()
        split_name(value)
        assert time.perf_counter() - started < 0.1  # milliseconds; a backtracking rule takes ~0.5 s on "J." * 4,999
