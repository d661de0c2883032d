"""numeric_id, matching and regex_replace: what they answer, and that a mapping's pattern stays bounded."""

from __future__ import annotations

import time
from typing import Any

import jinja2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relmap.errors import TransformError
from relmap.mapping.filters import TESTS, ArgumentError, PatternError, matching, regex_replace
from relmap.mapping.filters.patterns import MAX_PATTERN
from relmap.mapping.templates.expressions import environment
from relmap.mapping.templates.limits import bounded_call

# --- numeric_id ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("10045", True),
        ("010045", True),  # a leading zero: Silvasoft's CustomerNumber becomes 10045
        (" 152346 ", True),
        (10045, True),
        ("9223372036854775807", True),  # the largest 64-bit number
        ("0" * 500 + "7", True),
        ("9223372036854775808", False),  # one more: too large for Silvasoft
        ("0", False),  # 0 means "empty" to Silvasoft
        ("000", False),
        (0, False),
        (-5, False),
        ("-5", False),
        ("+5", False),
        ("14233Aaa", False),
        ("12.0", False),
        (12.0, False),
        ("1 2", False),
        ("１２３", False),  # full-width digits
        ("1²3", False),
        ("", False),
        (None, False),
        (True, False),
        (["10045"], False),
        ("1" * 10_001, False),
    ],
)
def test_numeric_id(value: Any, expected: bool) -> None:
    assert TESTS["numeric_id"](value) is expected


# --- matching -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "pattern", "kwargs", "expected"),
    [
        ("010045", "[0-9]+", {}, True),
        ("14233Aaa", "[0-9]+", {}, False),  # the whole value must match
        ("14233Aaa", "[0-9]+.*", {}, True),
        (" 1234 AB ", "[0-9]{4} ?[A-Z]{2}", {}, True),  # stripped, like every filter's input
        ("1234 ab", "[0-9]{4} ?[A-Z]{2}", {}, False),
        ("1234 ab", "[0-9]{4} ?[A-Z]{2}", {"ignorecase": True}, True),
        ("1234 ab", "(?i)[0-9]{4} ?[a-z]{2}", {}, True),
        ("Zoë", r"\p{L}+", {}, True),
        ("١٢٣", r"\d+", {}, False),  # \d is ASCII digits only, as CustomerNumber takes
        ("", ".*", {}, True),
        (10045, "[0-9]+", {}, True),
        (None, ".*", {}, True),  # null is empty text
        (["10045"], ".*", {}, False),  # not a single value
        ("a" * 10_001, ".*", {}, False),  # more than filters read
        ("\ud800", ".*", {}, False),
    ],
)
def test_matching(value: Any, pattern: str, kwargs: dict[str, Any], expected: bool) -> None:
    assert TESTS["matching"](value, pattern, **kwargs) is expected


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("(", "regular expression '(' cannot be used: missing ): ("),
        ("[a-", "regular expression '[a-' cannot be used: missing ]: [a-"),
        ("*a", "regular expression '*a' cannot be used: no argument for repetition operator: *"),
        ("(?=a)b", "invalid perl operator: (?= (RE2 syntax: no look-ahead, look-behind or back-references such as"),
        ("(a)\\1", "invalid escape sequence: \\1 (RE2 syntax: no look-ahead, look-behind or back-references"),
        ("(?:a{65535}){65535}", "invalid repetition size: {65535} (a repetition counts at most 1,000"),
        ("((a{100}){100}){100}", "invalid repetition size: {100} (a repetition counts at most 1,000"),
        (".{0,999}a.{0,999}b.{0,999}c.{0,999}d.{0,999}e.{0,999}f" * 3, "too large once compiled"),
        ("a" * (MAX_PATTERN + 1), f"a regular expression of 501 characters is longer than {MAX_PATTERN} allowed"),
        ("", "a regular expression must be a non-empty text, not ''"),
        (None, "a regular expression must be a non-empty text, not None"),
        (5, "a regular expression must be a non-empty text, not 5"),
    ],
)
def test_a_pattern_that_cannot_be_used_is_a_clear_error(pattern: Any, message: str, capfd: Any) -> None:
    """The mapping's mistake, so a test raises it for every value (blank and unreadable ones too), and nothing
    reaches stderr (RE2 logs there unless told not to)."""
    for value in ("abc", "", None, ["x"]):
        with pytest.raises(PatternError) as info:
            TESTS["matching"](value, pattern)
        assert message in str(info.value)
        with pytest.raises(PatternError):
            regex_replace("abc", pattern, "x")
    assert capfd.readouterr() == ("", "")


def test_ignorecase_takes_a_boolean() -> None:
    with pytest.raises(ArgumentError, match="ignorecase= takes true or false, not 'yes'"):
        matching("abc", "ABC", ignorecase="yes")  # type: ignore[arg-type]


# --- regex_replace ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "args", "kwargs", "expected"),
    [
        ("+31 (0)6-1234 5678", (r"[^0-9+]", ""), {}, "+310612345678"),
        ("12-34", (r"(\d+)-(\d+)", r"\2/\1"), {}, "34/12"),
        ("12-34", (r"(?P<a>\d+)-(?P<b>\d+)", r"\g<b>.\g<a>"), {}, "34.12"),
        ("a1b2c3", (r"\d", "#"), {"count": 2}, "a#b#c3"),
        ("Straat  12   A", (r"\s+", " "), {}, "Straat 12 A"),
        ("Fam. JANSEN", (r"fam\.\s*", ""), {"ignorecase": True}, "JANSEN"),
        (" x ", ("y", "z"), {}, "x"),  # stripped, and unchanged without a match
        ("a.b", (r"\.", r"\\"), {}, "a\\b"),
        (10045, ("^0+", ""), {}, "10045"),
    ],
)
def test_regex_replace(value: Any, args: tuple[str, str], kwargs: dict[str, Any], expected: str) -> None:
    assert regex_replace(value, *args, **kwargs) == expected


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((r"(\d+)", r"\2"), r"replacement '\\2' names group 2, but '(\\d+)' has 1"),
        ((r"(\d+)", r"\g<name>"), "replacement '\\\\g<name>' names group 'name', which '(\\\\d+)' does not have"),
        ((r"\d", "x\\"), "ends in a lone backslash"),
        ((r"\d", 5), "a replacement must be a text of at most 10,000 characters, not 5"),
        ((r"\d", "x", -1), "count= takes a whole number of 0 or more, not -1"),
        ((r"\d", "x", True), "count= takes a whole number of 0 or more, not True"),
    ],
)
def test_a_replacement_that_cannot_be_used_is_a_clear_error(args: tuple[Any, ...], message: str) -> None:
    for value in ("no digits here", "12"):
        with pytest.raises(PatternError) as info:
            regex_replace(value, *args)
        assert message in str(info.value)


def test_regex_replace_result_is_capped() -> None:
    assert len(regex_replace("a" * 5_000, "a", "bb")) == 10_000
    with pytest.raises(TransformError, match="regex_replace would make more than the 10,000 characters"):
        regex_replace("a" * 5_001, "a", "bb")
    with pytest.raises(TransformError, match="would make more than"):
        regex_replace("a" * 10_000, "(a)", r"\1\1\1\1\1\1\1\1")
    with pytest.raises(TransformError, match="a value of 10,001 characters is longer than the 10,000 filters read"):
        regex_replace("a" * 10_001, "b", "")


# --- bounds -------------------------------------------------------------------------------------

# Patterns on which a backtracking engine such as Python's re takes exponential (or high polynomial) time.
PATHOLOGICAL = [r"(a+)+$", r"(a|aa)*c", r"(x+x+)+y", r"(a*b*){999}c", r"(?:a|b|ab|ba){900}c", r"(.*){100}x"]


@pytest.mark.parametrize("pattern", PATHOLOGICAL)
def test_a_pathological_pattern_on_the_longest_value_ends_quickly(pattern: str) -> None:
    for subject in ("a" * 9_999 + "b", "x" * 10_000, "ab" * 5_000):
        started = time.perf_counter()
        TESTS["matching"](subject, pattern)
        regex_replace(subject, pattern, "-")
        assert time.perf_counter() - started < 2.0  # the time limit of one template evaluation


def test_patterns_in_templates_run_within_the_evaluation_bounds() -> None:
    template = environment().from_string(
        "{% if d is matching('(a+)+$') %}yes{% else %}no{% endif %}|{{ d | regex_replace('(a|aa)*c', '-') | length }}"
    )
    started = time.perf_counter()
    assert bounded_call(lambda _: template.render(d="a" * 9_999 + "b"), None) == "no|10000"
    assert time.perf_counter() - started < 2.0


def test_a_bad_pattern_in_a_template_is_a_transform_error() -> None:
    template = environment().from_string("{{ d is matching('(') }}")
    with pytest.raises(TransformError, match="regular expression '\\(' cannot be used: missing \\)"):
        bounded_call(lambda _: template.render(d="x"), None)
    assert isinstance(environment().from_string("x"), jinja2.Template)


_VALUES = st.one_of(
    st.none(),
    st.text(max_size=200),
    st.integers(),
    st.floats(allow_nan=True),
    st.booleans(),
    st.lists(st.text(max_size=5), max_size=3),
    st.dictionaries(st.text(max_size=3), st.text(max_size=3), max_size=2),
    st.text(max_size=3).map(lambda s: s * 4_000),
)


@settings(max_examples=300, deadline=None)
@given(value=_VALUES, pattern=st.sampled_from(["[0-9]+", ".*", r"\p{L}+ \p{L}+", "(a+)+$", "(?i)fam"]))
def test_tests_never_raise_for_any_value(value: Any, pattern: str) -> None:
    for name, test in TESTS.items():
        args = (pattern,) if name == "matching" else ()
        assert test(value, *args) in (True, False)


@pytest.mark.parametrize(
    ("template", "message"),
    [
        (
            r'{{ d | regex_replace("([0-9]+)-([0-9]+)", "\2/\1") }}',
            r"replacement '\x02/\x01' holds the control character",
        ),
        (r'{{ d is matching("\bvan\b") }}', r"regular expression '\x08van\x08' holds the control character '\x08'"),
    ],
)
def test_a_single_backslash_in_a_jinja_string_is_said_not_sent(template: str, message: str) -> None:
    """Inside a Jinja string "\1" is chr(1) and "\b" a backspace: the filter says so and how to write it."""
    compiled = environment().from_string(template)
    with pytest.raises(PatternError) as info:
        bounded_call(lambda _: compiled.render(d="12-34 van"), None)
    assert message in str(info.value)
    assert 'write the backslash twice ("\\\\1", "\\\\b")' in str(info.value)
    doubled = environment().from_string(template.replace("\\", "\\\\"))
    assert bounded_call(lambda _: doubled.render(d="12-34 van"), None) in ("34/12 van", "False")


def test_a_replacement_outside_ascii_is_inserted_as_written() -> None:
    from relmap.mapping.filters.patterns import regex_replace

    assert regex_replace("Loosdrecht", "o", "ö") == "Löösdrecht"
    assert regex_replace("Jan Smit", r"(\w+) (\w+)", r"\2, \1 – ✓") == "Smit, Jan – ✓"
    assert regex_replace("abc", "(?P<mid>b)", r"[\g<mid>é\g<1>]") == "a[béb]c"
    assert regex_replace("a-b", "-", r"\\") == "a\\b"
