"""Three-way comparison per parameter, without any network: OutSmart now, last synced, Silvasoft now."""

from __future__ import annotations

import gc
from typing import Any

from conftest import SAMPLES

from relmap.mapping.compiler import compile_text
from relmap.mapping.render import Rendered
from relmap.state.store import Link, payload_hash
from relmap.sync.changes import Planner
from relmap.sync.drift import FieldDiff, compare, flatten, kept_parameters, same
from relmap.sync.identity import Directory

NONE: frozenset[str] = frozenset()


def by_parameter(fields: Any) -> dict[str, tuple[str, Any, Any, bool]]:
    return {f.parameter: (f.change, f.before, f.after, f.drift) for f in fields}


def test_flatten_names_nested_parameters_by_path():
    flat = flatten({"Name": "A", "Relation_Contact": [{"Email": "a@b.nl"}, {"Email": "c@d.nl"}], "X": {"Y": 1}})
    assert flat == {"Name": "A", "Relation_Contact[0].Email": "a@b.nl", "Relation_Contact[1].Email": "c@d.nl", "X.Y": 1}


def test_same_ignores_number_text_form_spaces_and_blank_versus_null():
    assert same(10001, "10001") and same(" Baarn ", "Baarn") and same(None, "") and same(True, "true")
    assert not same("Baarn", "baarn") and not same(1, 2)


def test_outsmart_change_without_drift_is_an_update():
    found = compare({"Address_City": "Soest"}, {"Address_City": "Baarn"}, {"Address_City": "Baarn"}, NONE)
    assert by_parameter(found.fields) == {"Address_City": ("update", "Baarn", "Soest", False)}
    assert found.send == {"Address_City": "Soest"} and not found.drift


def test_silvasoft_edit_is_drift_and_outsmart_wins_by_default():
    found = compare({"Address_City": "Baarn"}, {"Address_City": "Baarn"}, {"Address_City": "Hilversum"}, NONE)
    assert by_parameter(found.fields) == {"Address_City": ("overwrite", "Hilversum", "Baarn", True)}
    assert found.send == {"Address_City": "Baarn"} and found.drift


def test_kept_parameter_leaves_the_silvasoft_value_and_is_not_sent():
    ours = {"Address_City": "Baarn", "Address_Street": "Laan 2"}
    synced = {"Address_City": "Baarn", "Address_Street": "Laan 1"}
    theirs = {"Address_City": "Hilversum", "Address_Street": "Laan 1"}
    found = compare(ours, synced, theirs, frozenset({"Address_City"}))
    assert by_parameter(found.fields) == {
        "Address_City": ("keep", "Hilversum", "Hilversum", True),
        "Address_Street": ("update", "Laan 1", "Laan 2", False),
    }
    assert found.send == {"Address_City": "Hilversum", "Address_Street": "Laan 2"}


def test_kept_drift_alone_sends_nothing():
    found = compare({"Address_City": "Baarn"}, {"Address_City": "Baarn"}, {"Address_City": "Hilversum"},
                    frozenset({"Address_City"}))  # fmt: skip
    assert found.send is None and found.drift


def test_kept_main_contact_field_is_sent_as_silvasoft_has_it():
    # updaterelation/ replaces the main contact as a whole: a kept field left out would be cleared
    ours = {"Relation_Contact": [{"Email": "new@x.nl", "Phone": "0612345678"}]}
    synced = {"Relation_Contact": [{"Email": "old@x.nl", "Phone": "0612345678"}]}
    theirs = {"Relation_Contact": [{"Email": "old@x.nl", "Phone": "0201111111"}]}
    found = compare(ours, synced, theirs, frozenset({"Relation_Contact[0].Phone"}))
    assert by_parameter(found.fields)["Relation_Contact[0].Phone"][0] == "keep"
    assert found.send == {"Relation_Contact": [{"Email": "new@x.nl", "Phone": "0201111111"}]}


def test_without_silvasoft_only_the_last_synced_value_is_compared():
    found = compare({"Address_City": "Soest"}, {"Address_City": "Baarn"}, None, NONE)
    assert by_parameter(found.fields) == {"Address_City": ("update", "Baarn", "Soest", False)}
    assert compare({"Address_City": "Baarn"}, {"Address_City": "Baarn"}, None, NONE).send is None


def test_first_link_counts_a_different_silvasoft_value_as_set_there():
    found = compare({"Address_City": "Baarn", "Address_Street": "Laan"}, None,
                    {"Address_City": "Hilversum", "Address_Street": ""}, frozenset({"Address_City"}))  # fmt: skip
    assert by_parameter(found.fields) == {
        "Address_City": ("keep", "Hilversum", "Hilversum", True),
        "Address_Street": ("update", "", "Laan", False),
    }


def test_parameter_no_longer_set_is_reported_not_cleared():
    found = compare({}, {"Address_Street": "Laan"}, {"Address_Street": "Laan"}, NONE)
    assert by_parameter(found.fields) == {"Address_Street": ("unset", "Laan", "Laan", False)}
    assert found.send is None


def test_silvasoft_value_edited_to_outsmart_value_needs_nothing():
    found = compare({"Address_City": "Soest"}, {"Address_City": "Baarn"}, {"Address_City": "Soest"}, NONE)
    assert found.send is None and by_parameter(found.fields)["Address_City"][0] == "same"


MAPPING = """
relmap: 1
source: {file: {path: relations.json}}
target:
  silvasoft: {username: u, api_key: "${K}", drift: keep}
routes:
  - name: all
    endpoint: addprivaterelation
    fields:
      Address_City: {from: city, drift: overwrite}
      Address_Street: street
      Relation_Contact:
        - LastName: name
          FirstName: {value: "-"}
          Email: {from: email, drift: overwrite}
"""


def test_kept_parameters_follow_the_rule_then_the_target_default():
    plan = compile_text(MAPPING, base=SAMPLES).plan
    assert plan is not None
    assert kept_parameters(plan.routes[0], plan.target.drift) == {
        "Address_Street",
        "Relation_Contact[0].LastName",
        "Relation_Contact[0].FirstName",
    }
    assert kept_parameters(plan.routes[0], "overwrite") == set()


def test_drift_on_a_create_only_parameter_is_warned_about():
    text = MAPPING.replace("Address_Street: street", "GroupName: {value: A, drift: keep}")
    warnings = [d for d in compile_text(text, base=SAMPLES).diagnostics if d.severity == "warning"]
    assert any("updaterelation/ cannot change GroupName" in d.message for d in warnings)


def rendered(payload: dict[str, Any]) -> Rendered:
    return Rendered(0, "test", "1", "ok", "all", "addprivaterelation", payload)


def test_planner_reports_drift_on_a_relation_outsmart_did_not_change():
    payload = {"Address_City": "Baarn", "Relation_Contact": [{"LastName": "Jansen"}]}
    link = Link("1", 5, None, "all", "addprivaterelation", payload, payload_hash(payload), "new", False)
    directory = Directory({5: "1"})
    directory.add_listing(
        [{"RelationGUID": 5, "Address_City": "Hilversum", "Relation_Contact": [{"LastName": "Jansen"}]}]
    )
    change = Planner({"1": link}, lambda d: None, directory, True).change(rendered(payload))
    assert (change.action, change.send, change.drift) == ("update", {"Address_City": "Baarn"} | {
        "Relation_Contact": [{"LastName": "Jansen"}]}, True)  # fmt: skip
    kept = Planner({"1": link}, lambda d: None, directory, True, {"all": frozenset({"Address_City"})})
    change = kept.change(rendered(payload))
    assert (change.action, change.send, change.drift) == ("unchanged", None, True)


def test_planner_reports_a_linked_relation_deleted_in_silvasoft():
    payload = {"Address_City": "Baarn"}
    link = Link("1", 5, None, "all", "addprivaterelation", payload, payload_hash(payload), "new", False)
    directory = Directory({5: "1"})
    directory.add_listing([])
    change = Planner({"1": link}, lambda d: None, directory, True).change(rendered(payload))
    assert change.action == "error" and "missing from Silvasoft's listing" in (change.message or "")


def test_an_unconfirmed_update_is_checked_against_silvasoft_not_taken_as_drift():
    # city Loosdrecht → Hilversum; the update failed, so the link keeps Loosdrecht, unconfirmed
    ours, synced = {"Address_City": "Hilversum"}, {"Address_City": "Loosdrecht"}
    not_landed = compare(ours, synced, {"Address_City": "Loosdrecht"}, frozenset({"Address_City"}))
    assert by_parameter(not_landed.fields)["Address_City"] == ("update", "Loosdrecht", "Hilversum", False)
    landed = compare(ours, synced, {"Address_City": "Hilversum"}, frozenset({"Address_City"}))
    assert landed.send is None and not landed.drift


def test_planner_resends_an_unconfirmed_update_when_silvasoft_was_not_read():
    payload = {"Address_City": "Baarn"}
    link = Link("1", 5, None, "all", "addprivaterelation", payload, None, "new", False)
    change = Planner({"1": link}, lambda d: None, Directory({5: "1"}), True).change(rendered(payload))
    assert (change.action, change.send) == ("update", payload)
    listed = Directory({5: "1"})
    listed.add_listing([{"RelationGUID": 5, "Address_City": "Baarn"}])
    change = Planner({"1": link}, lambda d: None, listed, True).change(rendered(payload))
    assert change.action == "unchanged" and "not confirmed" in (change.message or "")


def test_mask_hides_ibans_and_email_addresses_in_messages():
    from relmap.report.mask import Masker

    masked = Masker(()).text("not a valid IBAN: 'NL91ABNA0417164301', nor NL91 ABNA 0417 1643 01; mail a.b@c.nl")
    assert masked == "not a valid IBAN: '•••', nor •••; mail •••"


def live_diffs() -> int:
    gc.collect()
    return sum(1 for o in gc.get_objects() if isinstance(o, FieldDiff))


def test_a_planned_change_keeps_what_its_diffs_are_made_of_not_the_diffs():
    payload = {"Address_City": "Baarn", "Relation_Contact": [{"LastName": "Jansen", "Email": "j@example.nl"}]}
    synced = {**payload, "Address_City": "Soest"}
    link = Link("1", 5, None, "all", "addprivaterelation", synced, payload_hash(synced), "new", False)
    directory = Directory({5: "1"})
    directory.add_listing([{"RelationGUID": 5, **synced, "Address_City": "Hilversum"}])
    planner = Planner({"1": link}, lambda d: None, directory, True)
    before = live_diffs()
    update = planner.change(rendered(payload))
    new = {"Address_City": "Baarn", "Relation_Contact": [{"LastName": "Jansen", "Email": "nieuw@example.nl"}]}
    create = planner.change(Rendered(1, "test", "2", "ok", "all", "addprivaterelation", new))
    assert live_diffs() == before  # none kept between reads
    assert update.fields == compare(payload, synced, directory.by_guid[5], NONE).fields
    assert by_parameter(update.fields)["Address_City"] == ("overwrite", "Hilversum", "Baarn", True)
    assert update.drift and len(update.fields) == 3 and update.fields[0].parameter == "Address_City"
    assert by_parameter(create.fields) == {
        "Address_City": ("add", None, "Baarn", False),
        "Relation_Contact[0].LastName": ("add", None, "Jansen", False),
        "Relation_Contact[0].Email": ("add", None, "nieuw@example.nl", False),
    }
    assert create.action == "create" and create.fields == create.fields and create.fields != update.fields
