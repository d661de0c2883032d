"""Interrupted writes: every write opens an intent first, and a run that finds one open settles it from the listing.

An interrupted create that Silvasoft carried out shows up in the listing (by CustomerNumber, e-mail or name and
postal code) and is linked, claimed for its relation; an interrupted update's outcome is unknown, so its link is
marked unconfirmed and the next comparison with Silvasoft sends what still differs.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import replace

from relmap.state.store import Intent, Link, State, payload_hash
from relmap.sync.identity import Directory, Match


def recoveries(state: State, directory: Directory) -> list[tuple[Intent, Match | None]]:
    """Each open intent, with the relation its interrupted create made (claimed for it), if one is listed."""
    found: list[tuple[Intent, Match | None]] = []
    for intent in state.intents():
        match = None
        if intent.action == "create" and state.link(intent.debtor_number) is None:
            candidate = directory.find_created(intent.payload)
            if candidate and directory.claim(candidate.guid, intent.debtor_number) is None:
                match = candidate
        found.append((intent, match))
    return found


def recovered_links(state: State, links: Mapping[str, Link], directory: Directory) -> Mapping[str, Link]:
    """The links as a run would have them after settling (``settle``), for a dry run, which writes nothing."""
    settled: dict[str, Link] = {}
    for intent, match in recoveries(state, directory):
        link = settled.get(intent.debtor_number) or links.get(intent.debtor_number)
        if match is not None:
            settled[intent.debtor_number] = Link(
                intent.debtor_number, match.guid, None, None, intent.endpoint, intent.payload,
                payload_hash(intent.payload), "recovered", False,
            )  # fmt: skip
        elif link is not None:
            settled[intent.debtor_number] = replace(link, payload_hash=None)
    return _Settled(links, settled) if settled else links


class _Settled(Mapping[str, Link]):
    """The links with what settling would change in them."""

    def __init__(self, links: Mapping[str, Link], settled: dict[str, Link]) -> None:
        self.links, self.settled = links, settled

    def __getitem__(self, debtor_number: str) -> Link:
        return self.settled[debtor_number] if debtor_number in self.settled else self.links[debtor_number]

    def __iter__(self) -> Iterator[str]:  # in the order of a copy of the links with the settled ones put in
        yield from self.links
        yield from (debtor for debtor in self.settled if debtor not in self.links)

    def __len__(self) -> int:
        return sum(1 for _ in self)


def settle(state: State, directory: Directory) -> None:
    """Link what interrupted creates made, mark interrupted updates unconfirmed, and close their intents."""
    for intent, match in recoveries(state, directory):
        if match is not None:
            state.save_link(
                intent.debtor_number,
                match.guid,
                customer_number=None,
                route=None,
                endpoint=intent.endpoint,
                payload=intent.payload,
                matched_by="recovered",
                intent=intent.id,
            )
            continue
        if state.link(intent.debtor_number) is not None:
            state.forget_payload(intent.debtor_number)  # an update's outcome is unknown: check it again
        state.close_intent(intent.id)
