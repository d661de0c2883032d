"""Apply: the only code that writes to Silvasoft. Every write opens an intent first and closes it with its outcome.

A refused record (400) is that record's error and the run goes on; a spent budget or Silvasoft's rate limit stops
the run cleanly, leaving the rest pending; bad credentials stop it at once. An empty answer (Silvasoft created or
updated nothing) is resolved with one targeted listrelations/ call, never by writing again blindly; so is a create
refused because the relation "already exists".
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from relmap.errors import ApiError, BudgetSpent, CredentialsError, RateLimited, RecordRejected, Unavailable
from relmap.mapping.render import FieldError
from relmap.state.store import State
from relmap.sync.changes import Change, update_params
from relmap.sync.drift import compare
from relmap.sync.identity import Directory, existed_before, guid_of, payload_email, payload_number
from relmap.targets.silvasoft import SilvasoftClient
from relmap.targets.silvasoft_answers import ours

# A refusal that says the relation is there already (as some Silvasoft versions answer a create under ABORT).
ALREADY_EXISTS = re.compile(r"already exists?|bestaat al|al in gebruik|already in use", re.IGNORECASE)

Result = Literal["created", "updated", "linked", "unchanged", "skipped", "failed", "pending"]


@dataclass(frozen=True)
class Outcome:
    """What happened to one relation in a run; one line of the report."""

    debtor_number: str | None
    name: str
    action: Result
    guid: int | None = None
    route: str | None = None
    endpoint: str | None = None
    matched_by: str | None = None
    error: str | None = None
    origin: str | None = None
    warnings: tuple[FieldError, ...] = ()  # the mapping's record warnings: parameters left out (on_invalid: warn)

    def as_dict(self) -> dict[str, Any]:
        return {
            "debtor_number": self.debtor_number,
            "name": self.name,
            "action": self.action,
            "guid": self.guid,
            "route": self.route,
            "endpoint": self.endpoint,
            "matched_by": self.matched_by,
            "error": self.error,
            "warnings": [w.as_dict() for w in self.warnings],
        }


def outcome(change: Change, action: Result, **extra: Any) -> Outcome:
    result = change.result
    fields: dict[str, Any] = {
        "guid": change.guid,
        "route": result.route,
        "endpoint": result.endpoint,
        "matched_by": change.matched_by,
        "origin": result.origin,
        "warnings": result.warnings,
        **extra,
    }
    return Outcome(result.debtor_number, change.name, action, **fields)


class Applier:
    """Carries out planned changes with one Silvasoft client and one state database."""

    def __init__(
        self,
        client: SilvasoftClient,
        state: State,
        directory: Directory,
        match_email: bool,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.client = client
        self.state = state
        self.directory = directory
        self.match_email = match_email
        self.clock = clock

    def apply(self, change: Change) -> Outcome:
        """One change; raises BudgetSpent, RateLimited or CredentialsError, which end the run."""
        if change.action in ("skip", "error", "unchanged"):
            return self._local(change)
        if change.action == "link":
            self._save(change, change.guid or 0, None)
            return outcome(change, "linked")
        try:
            if change.action == "update":
                return self._update(change)
            return self._create(change)
        except RecordRejected as exc:
            return outcome(change, "failed", error=exc.detail)
        except Unavailable as exc:
            if exc.ambiguous:
                message = f"{exc.detail}; the write may have happened, so the next run checks before writing again"
                return outcome(change, "pending", error=message)
            return outcome(change, "pending", error=f"{exc.detail}; tried again in the next run")
        except ApiError as exc:
            if isinstance(exc, CredentialsError | RateLimited):
                raise
            # An answer relmap cannot read: the write may have happened; the next run checks before writing again.
            return outcome(change, "pending", error=f"{exc.detail}; checked again in the next run")

    def _local(self, change: Change) -> Outcome:
        if change.action == "skip":
            return outcome(change, "skipped", error=change.message)
        if change.action == "error":
            return outcome(change, "failed", error=change.message)
        payload = change.result.payload
        link = self.state.link(change.debtor_number or "")
        if payload is not None and link is not None and change.message:  # only create-only parameters changed
            self._save(change, link.guid, None)
        return outcome(change, "unchanged", error=None)

    def _update(self, change: Change) -> Outcome:
        debtor, guid, params = change.debtor_number or "", change.guid or 0, change.send or {}
        intent = self.state.open_intent(debtor, "update", "updaterelation", params, guid)
        try:
            answer = self.client.update(guid, params)
        except RecordRejected as exc:
            self.state.save_failure(debtor, change.result.payload or {}, exc.detail, intent)
            raise
        except (BudgetSpent, RateLimited, CredentialsError):
            self.state.close_intent(intent)  # not sent, or refused before it was carried out
            raise
        except ApiError as exc:
            if not isinstance(exc, Unavailable) or exc.ambiguous:
                self.state.forget_payload(debtor)  # the update may or may not have landed: send it again next time
            self.state.close_intent(intent)
            raise
        if answer is None:
            return self._updated_nothing(change, guid, params, intent)
        self._save(change, guid, intent)
        return outcome(change, "updated")

    def _updated_nothing(self, change: Change, guid: int, params: dict[str, Any], intent: int) -> Outcome:
        """An empty answer to an update: Silvasoft updated nothing. Either it holds these values already or the
        relation is gone; one listrelations/ call by GUID tells which, and the link is confirmed or the error said."""
        debtor = change.debtor_number or ""
        said = f"updaterelation/ answered that Silvasoft updated nothing for relation {guid}"
        try:
            found = [r for r in self.client.find(RelationGUID=str(guid)) if guid_of(r) == guid]
        except (BudgetSpent, ApiError) as exc:
            self.state.forget_payload(debtor)  # unconfirmed: the next run compares with Silvasoft's listing
            self.state.close_intent(intent)
            if isinstance(exc, BudgetSpent | RateLimited | CredentialsError):
                raise
            return outcome(change, "pending", error=f"{said}; looking it up failed ({exc.detail}): checked next run")
        compared = compare(params, None, update_params(found[0]), frozenset()) if found else None
        differs = [f.parameter for f in compared.fields if f.sends] if compared else []
        if compared and not differs:
            self._save(change, guid, intent)
            return outcome(change, "unchanged", error=f"Silvasoft holds these values already ({said})")
        message = (
            f"{said}, yet holds other values for {', '.join(differs)} (refused without saying why)"
            if compared
            else f"{said}, and listrelations/ does not find it (deleted there?); relmap does not create it again"
        )
        self.state.save_failure(debtor, change.result.payload or {}, message, intent)
        return outcome(change, "failed", error=message)

    def _create(self, change: Change) -> Outcome:
        debtor, payload = change.debtor_number or "", change.send or {}
        endpoint = change.result.endpoint or ""
        body = self._with_switches(payload)
        intent = self.state.open_intent(debtor, "create", endpoint, payload, None)
        requested_at = self.clock()
        retry_unsure = payload_number(payload) is not None or (self.match_email and payload_email(payload) is not None)
        try:
            relations = self.client.create(endpoint, body, retry_unsure=retry_unsure)
        except RecordRejected as exc:
            if ALREADY_EXISTS.search(exc.detail) and retry_unsure:
                # Some Silvasoft versions refuse a create of an existing relation instead of answering it (ABORT):
                # the relation is there, so it is looked up and linked rather than kept as a refusal.
                said = f"{endpoint}/ refused the create as existing already ({exc.detail})"
                return self._looked_up(change, intent, requested_at, answered=False, said=said)
            self.state.save_failure(debtor, payload, exc.detail, intent)
            raise
        except (BudgetSpent, RateLimited, CredentialsError):
            self.state.close_intent(intent)  # not sent, or refused before it was carried out
            raise
        except Unavailable as exc:
            if not exc.ambiguous:
                self.state.close_intent(intent)
            raise  # an unsure create keeps its intent: the next run looks it up before creating again
        # Several relations and none ours alone (AmbiguousAnswer) is an answer relmap cannot read: raised, the intent
        # stays open, and the next run looks the relation up before creating again.
        relation = ours(relations, f"{endpoint}/", *self._identities(payload))
        if relation is not None and guid_of(relation) is not None:
            return self._answered(change, relation, intent, requested_at)
        return self._looked_up(change, intent, requested_at, answered=relation is not None)

    def _answered(self, change: Change, relation: dict[str, Any], intent: int, requested_at: float) -> Outcome:
        """A create answered with a relation: the one it created, or one that was there already (by ``createdOn``, a
        GUID listed this run, or one another OutSmart relation owns)."""
        debtor, guid = change.debtor_number or "", guid_of(relation) or 0
        owner = self.directory.owners.get(guid)
        existed = existed_before(relation, requested_at, self.directory)
        if existed is None:  # createdOn cannot tell: a relation that holds other values than sent was there before
            params = update_params(change.send or {})
            existed = compare(params, None, update_params(relation), frozenset()).send is not None
        if existed or owner not in (None, debtor):
            return self._existing(change, relation, guid, intent)
        self.directory.claim(guid, debtor)
        self.directory.remember(relation)
        self._save(change, guid, intent, relation, "new")
        return outcome(change, "created", guid=guid, matched_by="new")

    def _looked_up(
        self, change: Change, intent: int, requested_at: float, answered: bool, said: str | None = None
    ) -> Outcome:
        """A create answered an empty body (Silvasoft created nothing: with ABORT it should have returned what stopped
        it) or a relation without a RelationGUID. One listrelations/ call by CustomerNumber or e-mail finds what is
        there; nothing found after an empty answer is this relation's error, as a 400 would be, not a duplicate."""
        payload, endpoint = change.send or {}, change.result.endpoint or ""
        said = said or f"{endpoint}/ answered " + (
            "a relation without a RelationGUID" if answered else "that it created nothing"
        )
        try:
            found = self._look_up(payload)
        except (BudgetSpent, RateLimited, CredentialsError):
            raise  # the intent stays open: the next run looks the relation up before creating again
        except ApiError as exc:
            return outcome(change, "pending", error=f"{said}; looking it up failed ({exc.detail}): checked next run")
        if found is None:
            why = "with no CustomerNumber or e-mail to look it up by, the next run looks for it by name and postal code"
            return outcome(change, "pending", error=f"{said}; {why} before creating again")
        if len(found) == 1:
            if answered:
                return self._answered(change, found[0], intent, requested_at)
            return self._existing(change, found[0], guid_of(found[0]) or 0, intent)
        what = f"{len(found)} relations (GUIDs {', '.join(str(guid_of(r)) for r in found)})" if found else "none"
        message = f"{said}, and listrelations/ finds {what} with its CustomerNumber or e-mail; not linked"
        if not found and endpoint == "addbusinessrelation":
            message += " (an existing company name stops it too, unless OnExistingRelationName: CONTINUE)"
        if answered:  # the create may have happened: the next run looks again before creating
            return outcome(change, "pending", error=message)
        self.state.save_failure(change.debtor_number or "", payload, message, intent)
        return outcome(change, "failed", error=message)

    def _look_up(self, payload: dict[str, Any]) -> list[dict[str, Any]] | None:
        """Silvasoft's relations with the payload's CustomerNumber, else its e-mail (one call); None without either."""
        number, email = payload_number(payload), payload_email(payload) if self.match_email else None
        filters = {"RelationNumber": str(number)} if number is not None else {}
        filters.update({"RelationEmail": email} if email else {})
        if not filters:
            return None
        found = self.client.find(**filters, **({"SearchOperand": "OR"} if len(filters) == 2 else {}))
        found = [r for r in found if guid_of(r) is not None]
        by_number = [r for r in found if number is not None and payload_number(r) == number]
        return by_number or [r for r in found if email and payload_email(r) == email]

    def _identities(self, payload: dict[str, Any]) -> list[Callable[[dict[str, Any]], bool]]:
        """How to tell this relation among several in one answer: its CustomerNumber, then (if an identity) e-mail."""
        number, email = payload_number(payload), payload_email(payload) if self.match_email else None
        return [
            lambda r: number is not None and payload_number(r) == number,
            lambda r: bool(email) and payload_email(r) == email,
        ]

    def _existing(self, change: Change, relation: dict[str, Any], guid: int, intent: int) -> Outcome:
        """Silvasoft answered a create with a relation that was already there (created since our listing)."""
        debtor, payload = change.debtor_number or "", change.send or {}
        same_number = payload_number(payload) is not None and payload_number(payload) == payload_number(relation)
        same_email = payload_email(payload) is not None and payload_email(payload) == payload_email(relation)
        owner = self.directory.claim(guid, debtor) if (same_number or same_email) else None
        if not (same_number or same_email) or owner is not None:
            error = (
                f"Silvasoft relation {guid} has its CustomerNumber or e-mail but is OutSmart relation {owner}'s; "
                "not linked"
                if owner
                else f"Silvasoft answered with existing relation {guid} instead of creating one; not linked: "
                "set OnExistingRelationName: CONTINUE if companies may share a name"
            )
            # Not sent again until the relation changes (as a refused record): the same create would get the same
            # answer, and a run that identifies by creates' answers (listing.py) would spend a request on it hourly.
            self.state.save_failure(debtor, payload, error, intent)
            return outcome(change, "failed", guid=None, error=error)
        by = "number" if same_number else "email"
        params = update_params(payload)
        if compare(params, None, update_params(relation), frozenset()).send is not None:
            self.state.close_intent(intent)
            followup = Change("update", change.result, change.name, guid, by, params, modified_at=change.modified_at)
            return self._update(followup)
        self._save(change, guid, intent, relation, by)
        return outcome(change, "linked", guid=guid, matched_by=by)

    def _with_switches(self, payload: dict[str, Any]) -> dict[str, Any]:
        """A create never duplicates: an existing number (and e-mail, unless the mapping says CONTINUE) aborts it."""
        body = dict(payload)
        body["OnExistingRelationNumber"] = "ABORT"
        if self.match_email:
            body["OnExistingRelationEmail"] = "ABORT"
        return body

    def link_unsent(self, change: Change) -> None:
        """A relation found in Silvasoft whose update the hour's budget stops: linked all the same, with Silvasoft's
        values as the last synced ones, so the next run sends the update without listing Silvasoft again."""
        debtor, guid = change.debtor_number or "", change.guid or 0
        relation = self.directory.by_guid.get(guid)
        if change.action != "update" or change.matched_by not in ("number", "email") or relation is None:
            return
        if self.state.read_only or self.state.link(debtor) is not None:
            return
        result = change.result
        self.state.save_link(
            debtor,
            guid,
            customer_number=payload_number(relation) or payload_number(result.payload or {}),
            route=result.route,
            endpoint=result.endpoint,
            payload=update_params(relation),
            matched_by=change.matched_by,
        )

    def _save(
        self, change: Change, guid: int, intent: int | None, relation: dict[str, Any] | None = None, by: str = ""
    ) -> None:
        result = change.result
        number = payload_number(relation or {}) or payload_number(result.payload or {})
        self.state.save_link(
            result.debtor_number or "",
            guid,
            customer_number=number,
            route=result.route,
            endpoint=result.endpoint,
            payload=result.payload,
            matched_by=by or change.matched_by or "linked",
            intent=intent,
        )
