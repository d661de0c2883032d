"""One Silvasoft account is one account however its URL and user name are spelled: one ledger, one hour."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from relmap.errors import StateError
from relmap.state.store import State
from relmap.sync.connect import former_target_of, target_of

BASE = ("https://rest-api.silvasoft.nl/rest", "admin@bedrijf.nl")


@pytest.mark.parametrize(
    ("url", "user"),
    [
        ("https://REST-API.silvasoft.nl/rest", "admin@bedrijf.nl"),
        ("https://rest-api.silvasoft.nl:443/rest", "admin@bedrijf.nl"),
        ("https://rest-api.silvasoft.nl/rest/", "admin@bedrijf.nl"),
        ("https://rest-api.silvasoft.nl//rest", "admin@bedrijf.nl"),
        ("https://rest-api.silvasoft.nl/./rest", "admin@bedrijf.nl"),
        ("https://rest-api.silvasoft.nl/api/../rest", "admin@bedrijf.nl"),
        (" https://rest-api.silvasoft.nl/rest ", "Admin@Bedrijf.NL"),
        ("https://rest-api.silvasoft.nl./rest", "admin@bedrijf.nl"),
        ("https://rest-api.silvasoft.nl/%72est", "admin@bedrijf.nl"),
    ],
)
def test_spellings_of_one_account_are_one_account(url: str, user: str) -> None:
    assert target_of(url, user) == target_of(*BASE)


@pytest.mark.parametrize(
    ("url", "user"),
    [
        ("https://rest-api.silvasoft.nl/rest", "boekhouder@bedrijf.nl"),
        ("https://rest-api.silvasoft.nl/rest2", "admin@bedrijf.nl"),
        ("https://rest-api.silvasoft.nl:8443/rest", "admin@bedrijf.nl"),
        ("http://rest-api.silvasoft.nl/rest", "admin@bedrijf.nl"),
        ("https://test.silvasoft.nl/rest", "admin@bedrijf.nl"),
        ("https://rest-api.silvasoft.nl/rest", "admin@bedrijf.nl.evil"),
    ],
)
def test_other_accounts_stay_apart(url: str, user: str) -> None:
    assert target_of(url, user) != target_of(*BASE)


def test_a_loopback_emulator_is_known_by_its_path_alone() -> None:
    assert target_of("http://127.0.0.1:40001/rest/", "u") == target_of("http://127.0.0.1:40999//rest", "U")


def test_a_state_an_older_relmap_wrote_opens_and_takes_the_new_name(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    url, user = "https://REST-API.silvasoft.nl/rest/", "Admin@Bedrijf.nl"
    with State(path, former_target_of(url, user)):
        pass  # as the release before wrote it: the URL and user name as spelled
    with pytest.raises(StateError, match="another Silvasoft account"):
        State(path, target_of(url, user))  # without knowing the former name, it would be another account
    with State(path, target_of(url, user), formerly=former_target_of(url, user)):
        pass
    with closing(sqlite3.connect(path)) as db:
        assert db.execute("SELECT value FROM meta WHERE key = 'target'").fetchone()[0] == target_of(url, user)
    with State(path, target_of(*BASE)):  # the same account, spelled the usual way
        pass


def test_names_that_fold_alike_are_two_users() -> None:
    assert target_of(BASE[0], "straße@firma.nl") != target_of(BASE[0], "strasse@firma.nl")


def test_an_ipv6_host_keeps_its_port_apart_and_one_spelling() -> None:
    assert target_of("https://[2001:db8::1]:8443/rest", "u") != target_of("https://[2001:db8::1:8443]/rest", "u")
    assert target_of("https://[2001:0db8:0:0:0:0:0:1]/rest", "u") == target_of("https://[2001:db8::1]/rest", "u")


def test_an_international_host_is_its_punycode() -> None:
    assert target_of("https://bücher.example/rest", "u") == target_of("https://xn--bcher-kva.example/rest", "u")
