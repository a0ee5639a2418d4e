"""The retry/ignore services behind the dashboard actions (app.dashboard.actions)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from app.audit.models import AuditEntry
from app.dashboard import actions, errors
from app.dashboard.actions import ActionInputError, IdSelection, WriteAlgorithmUnavailable
from heroku_connect.models import TriggerLog, TriggerLogArchive
from heroku_connect.states import WriteAlgorithm
from tests.app.dashboard.connect_api import (
    removing_new_connect_rows,
    serve_connections,
    unreachable_api,
)
from tests.concurrency import second_waits_for_first
from tests.heroku_connect.trigger_log.factories import make_account, make_log, states

MERGED = WriteAlgorithm.MERGE_WRITES
ORDERED = WriteAlgorithm.ORDERED_WRITES


@pytest.fixture
def user(db) -> User:
    return User.objects.create_user("olivia")


@pytest.fixture
def clean_connect_rows():
    with removing_new_connect_rows():
        yield


@pytest.fixture
def connect_api():
    with serve_connections() as state:
        yield state


# --- parsing --------------------------------------------------------------------------------


def test_parse_ids__splits_live_and_archive_and_deduplicates():
    """ "live:<id>" / "archive:<id>" tokens become sorted, unique id tuples."""
    selection = actions.parse_ids(["live:3", "archive:9", "live:1", "live:3"])
    assert selection == IdSelection(live_ids=(1, 3), archive_ids=(9,))
    assert selection.as_params() == {"ids": ["live:1", "live:3", "archive:9"]}
    assert selection.describe() == "3 selected rows (live: 2, archived: 1)"
    assert actions.parse_ids(["archive:7"]).describe() == "trigger log #7 (archived)"


@pytest.mark.parametrize(
    "tokens",
    [
        [],
        ["7"],
        ["live:"],
        ["live:abc"],
        ["live:-1"],
        ["live:0"],
        ["other:1"],
        ["live:1;drop"],
        ["live:1" + "0" * 30],
    ],
)
def test_parse_ids__tampered_tokens_are_input_errors(tokens):
    """Anything but live:<positive id> / archive:<positive id> is rejected."""
    with pytest.raises(ActionInputError):
        actions.parse_ids(tokens)


def test_parse_ids__caps_the_number_of_ids(monkeypatch):
    """More ids than MAX_EXPLICIT_IDS is an input error pointing to the filter."""
    monkeypatch.setattr(actions, "MAX_EXPLICIT_IDS", 2)
    with pytest.raises(ActionInputError, match="use the filter"):
        actions.parse_ids(["live:1", "live:2", "archive:3"])


def test_parse_algorithm():
    """auto/empty asks the API; merged/ordered are explicit; anything else is an input error."""
    assert actions.parse_algorithm("") is None
    assert actions.parse_algorithm("auto") is None
    assert actions.parse_algorithm("ordered") is ORDERED
    with pytest.raises(ActionInputError):
        actions.parse_algorithm("fastest")


# --- planning -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_plan__counts_only_failed_rows_per_source_and_action():
    """The plan counts FAILED rows of the selection, live and archived, by action."""
    live = [make_log(), make_log(action="DELETE"), make_log(state="SUCCESS")]
    archived = [make_log(model=TriggerLogArchive), make_log(model=TriggerLogArchive)]
    selection = IdSelection(tuple(log.pk for log in live), tuple(log.pk for log in archived))
    plan = actions.plan_action("retry", selection, algorithm=MERGED)
    assert (plan.live, plan.archive, plan.total) == (2, 2, 4)
    assert plan.live_by_action == {"UPDATE": 1, "DELETE": 1}
    assert plan.headline() == "Retry 4 FAILED writes: 5 selected rows (live: 3, archived: 2)"
    assert plan.effects() == [
        "live: 2 -> NEW (updated_at = now)",
        "archived: 2 copied back to the live log as NEW; the archived rows become REQUEUED",
    ]
    ordered = plan.retry_effects(ORDERED)
    assert ordered[0].startswith("live: 1 INSERT/UPDATE re-captured")
    assert ordered[1] == "live: 1 DELETE -> NEW"
    assert ordered[2].startswith("archived: 2 INSERT/UPDATE re-captured into the live log")
    ignore = actions.plan_action("ignore", selection)
    assert ignore.effects() == ["live: 2 -> IGNORED", "archived: 2 -> IGNORED"]
    assert ignore.headline().startswith("Ignore 4 FAILED writes")


@pytest.mark.django_db
def test_plan__reports_an_unreachable_api_instead_of_raising():
    """A retry plan without a reachable API carries the error and no algorithm."""
    log = make_log()
    with unreachable_api(token="secret-test-token"):
        plan = actions.plan_action("retry", IdSelection((log.pk,)))
    assert plan.algorithm is None
    assert "could not be read from the Heroku Connect API" in plan.algorithm_error
    assert "secret-test-token" not in plan.algorithm_error


# --- performing -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_retry__live_and_archive_in_one_go_with_an_audit_entry(user):
    """Live rows become NEW, archived rows are copied back; one audit entry with the counts."""
    live = [make_log(), make_log()]
    other = make_log()
    archived = make_log(model=TriggerLogArchive)
    selection = IdSelection(tuple(log.pk for log in live), (archived.pk,))
    live_before = TriggerLog.objects.count()

    result = actions.perform_action("retry", selection, user=user, algorithm=MERGED)

    assert (result.live, result.archive, result.total) == (2, 1, 3)
    assert result.message() == "Retried 3 failed writes (live: 2, archived: 1) with merged writes."
    assert states()[other.pk] == "FAILED"
    assert [states()[log.pk] for log in live] == ["NEW", "NEW"]
    assert states(TriggerLogArchive) == {archived.pk: "REQUEUED"}
    assert TriggerLog.objects.count() == live_before + 1
    entry = AuditEntry.objects.get()
    assert (entry.user, entry.action, entry.row_count, entry.outcome) == (user, "retry", 3, "ok")
    assert entry.selection == selection.as_params()
    assert "merged writes (chosen by the operator)" in entry.detail


@pytest.mark.django_db
def test_retry__is_idempotent(user):
    """Retrying the same selection again changes nothing and says 0."""
    log = make_log()
    selection = IdSelection((log.pk,))
    assert actions.perform_action("retry", selection, user=user, algorithm=MERGED).total == 1
    again = actions.perform_action("retry", selection, user=user, algorithm=MERGED)
    assert again.total == 0
    assert again.message() == "Retried 0 failed writes (live: 0, archived: 0) with merged writes."
    assert list(AuditEntry.objects.order_by("id").values_list("row_count", flat=True)) == [1, 0]


@pytest.mark.django_db
def test_actions__refresh_the_error_group_summaries_after_commit(
    user, django_capture_on_commit_callbacks
):
    """An action that changed rows schedules a summary refresh; one that changed none does not."""
    log = make_log()
    selection = IdSelection((log.pk,))
    with django_capture_on_commit_callbacks() as callbacks:
        actions.perform_action("ignore", selection, user=user)
    assert callbacks == [actions.refresh_stats_soon]
    with django_capture_on_commit_callbacks() as callbacks:
        actions.perform_action("ignore", selection, user=user)
    assert callbacks == []


@pytest.mark.django_db
def test_ignore__marks_failed_rows_ignored_live_and_archived(user):
    """Ignore sets IGNORED on the FAILED rows only, and records it."""
    failed, success = make_log(), make_log(state="SUCCESS")
    archived = make_log(model=TriggerLogArchive)
    selection = IdSelection((failed.pk, success.pk), (archived.pk,))
    result = actions.perform_action("ignore", selection, user=user)
    assert result.message() == "Ignored 2 failed writes (live: 1, archived: 1)."
    assert states() == {failed.pk: "IGNORED", success.pk: "SUCCESS"}
    assert states(TriggerLogArchive) == {archived.pk: "IGNORED"}
    assert AuditEntry.objects.get().action == "ignore"


@pytest.mark.django_db
def test_retry__one_row_message_is_singular(user):
    """ngettext: one row, singular."""
    log = make_log()
    result = actions.perform_action("retry", IdSelection((log.pk,)), user=user, algorithm=MERGED)
    assert result.message().startswith("Retried 1 failed write (")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("ordered", "state", "new_rows"), [(False, "NEW", 0), (True, "REQUEUED", 1)]
)
def test_retry__asks_the_api_for_the_write_algorithm(user, connect_api, ordered, state, new_rows):
    """Without an explicit choice the connection's algorithm decides (re-capture if ordered)."""
    connect_api.ordered = [ordered]
    account = make_account(name="Acme")
    log = make_log(record_id=account.id)
    before = TriggerLog.objects.count()
    result = actions.perform_action("retry", IdSelection((log.pk,)), user=user)
    assert result.total == 1
    assert states()[log.pk] == state
    assert TriggerLog.objects.count() == before + new_rows
    assert connect_api.requests
    assert "from the Heroku Connect API" in AuditEntry.objects.get().detail


@pytest.mark.django_db
def test_retry__api_failure_changes_nothing_and_is_audited(user):
    """An unreachable API: WriteAlgorithmUnavailable, every row still FAILED, an error entry."""
    logs = [make_log(), make_log(model=TriggerLogArchive)]
    selection = IdSelection((logs[0].pk,), (logs[1].pk,))
    with unreachable_api(token="secret-test-token"), pytest.raises(WriteAlgorithmUnavailable):
        actions.perform_action("retry", selection, user=user)
    assert states() == {logs[0].pk: "FAILED"}
    assert states(TriggerLogArchive) == {logs[1].pk: "FAILED"}
    entry = AuditEntry.objects.get()
    assert (entry.outcome, entry.row_count) == ("error", 0)
    assert entry.detail.startswith("Nothing changed: The write algorithm could not be read")
    assert "secret-test-token" not in entry.detail


@pytest.mark.django_db
def test_retry__mixed_write_modes_change_nothing(user, connect_api):
    """Connections with different algorithms: a clear error, nothing retried."""
    connect_api.ordered = [True, False]
    log = make_log()
    with pytest.raises(WriteAlgorithmUnavailable, match="different write algorithms"):
        actions.perform_action("retry", IdSelection((log.pk,)), user=user)
    assert states() == {log.pk: "FAILED"}


@pytest.mark.django_db
def test_retry__a_failure_in_the_archive_part_rolls_back_the_live_part(user):
    """Live and archive run in ONE transaction: an error in the second undoes the first."""
    live = make_log()
    archived = make_log(model=TriggerLogArchive, table_name="no_such_table")
    selection = IdSelection((live.pk,), (archived.pk,))
    with pytest.raises(LookupError):
        actions.perform_action("retry", selection, user=user, algorithm=ORDERED)
    assert states() == {live.pk: "FAILED"}
    assert states(TriggerLogArchive) == {archived.pk: "FAILED"}
    entry = AuditEntry.objects.get()
    assert entry.outcome == "error"
    assert "no_such_table" in entry.detail


@pytest.mark.django_db
def test_perform__unknown_action_is_an_input_error(user):
    """Only retry and ignore exist."""
    with pytest.raises(ActionInputError):
        actions.perform_action("delete", IdSelection((1,)), user=user)
    assert not AuditEntry.objects.exists()


# --- concurrency ----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("action", ["retry", "ignore"])
def test_two_operators_at_once__each_row_changes_exactly_once(action, clean_connect_rows):
    """Bob acts while Alice's transaction on the same set is still open: Bob waits for her row
    locks, then finds nothing left to do; every row changed once, archives copied back once."""
    alice = User.objects.create_user("alice")
    bob = User.objects.create_user("bob")
    live = [make_log().pk for _ in range(30)]
    archived = [make_log(model=TriggerLogArchive).pk for _ in range(10)]
    selection = IdSelection(tuple(live), tuple(archived))
    live_before = TriggerLog.objects.count()

    def acting_as(user: User):
        return lambda: actions.perform_action(action, selection, user=user, algorithm=MERGED).total

    assert second_waits_for_first(acting_as(alice), acting_as(bob)) == (40, 0)
    expected_live = "NEW" if action == "retry" else "IGNORED"
    expected_archive = "REQUEUED" if action == "retry" else "IGNORED"
    assert {states(TriggerLog)[pk] for pk in live} == {expected_live}
    assert {states(TriggerLogArchive)[pk] for pk in archived} == {expected_archive}
    copies = 10 if action == "retry" else 0
    assert TriggerLog.objects.count() == live_before + copies  # archive copied back once
    entries = dict(AuditEntry.objects.values_list("username", "row_count"))
    assert entries == {"alice": 40, "bob": 0}


# --- the error-group pre-check --------------------------------------------------------------

SAMPLE_MESSAGES = [
    "Amount must be positive",
    "Required fields are missing: [LastName]",
    "duplicate value found: Contact_External_ID__c duplicates value on record with id: "
    "a0061000003KZmPAAW",
    "entity is deleted",
    "owner is inactive, cannot reparent record",
    "insufficient access rights on object id",
    "Unable to create/update fields: Secret__c. Please check the security settings of this "
    "field and verify that it is read/write for your profile or permission set.",
    "invalid cross reference id",
    "Account ID: id value of incorrect type: 001ABC",
    "Name: data value too large: 'Acme   Corporation\tInternational' (max length=80)",
    "Industry: bad value for restricted picklist field: Space Mining",
    "Email: invalid email address: bob@@example",
    "Contact email bob.smith@example.com rejected",
    'Value "quoted thing" rejected at 12.5 and -3',
    "Amount: value outside of valid range on numeric field: 1e99",
    "unable to obtain exclusive access to this record or 3 records: 0013000000AbCdEAAA",
    "UNABLE_TO_LOCK_ROW: unable to obtain exclusive access to this record",
    "MyTrigger: execution of AfterInsert caused by: System.NullPointerException: x",
    "TotalRequests Limit exceeded.",
    "x" * 400 + " tail 123",
    " \n unable to obtain exclusive access to this record or 1 records: 0013000000AbCdEAAA",
    "\tAmount must be positive",
    "  Required fields are missing: [Name]",
    "0013000000AbCdEAAA: entity is deleted",
    "'quoted' at the start",
    "",
    None,
]


@pytest.mark.parametrize("message", SAMPLE_MESSAGES)
def test_group_fragment__is_always_part_of_the_raw_message(message):
    """The pre-check never excludes a row of the group: its fragment is in every raw message,
    and a raw message starts with the first piece, after whitespace."""
    normalised = errors.normalise(message)
    raw = message or ""
    assert actions.group_fragment(normalised) in raw
    pieces = actions._certain_pieces(normalised)
    if pieces and pieces[0]:
        assert raw.lstrip(" \t\r\n").startswith(pieces[0])


@pytest.mark.django_db
def test_narrow_for_group__selects_exactly_the_same_rows():
    """With the LIKE pre-check the group selects the same live and archived rows."""
    from app.dashboard import filters

    for n, message in enumerate(SAMPLE_MESSAGES * 2):
        make_log(sf_message=message, record_id=n)
        make_log(model=TriggerLogArchive, sf_message=message, record_id=n)
    for message in SAMPLE_MESSAGES:
        cause = errors.classify(message)
        key = errors.group_key("account", cause.code, cause.normalised_message)
        selection = filters.selection_from_params({"group": key, "source": "both"})
        narrowed = actions.narrow_for_group(selection)
        for part in ("live", "archive"):
            expected = set(getattr(selection, part).values_list("pk", flat=True))
            assert expected  # the group has rows
            assert set(getattr(narrowed, part).values_list("pk", flat=True)) == expected


def test_audit_detail__large_counts_have_thousands_separators():
    """The audit trail (page and CSV) showed 'live: 1234567' while the pages say '1,234,567'."""
    from heroku_connect.states import WriteAlgorithm

    result = actions.ActionResult(
        action=actions.RETRY, live=1_234_567, archive=12_000, algorithm=WriteAlgorithm.MERGE_WRITES
    )
    assert actions.audit_detail(result, chosen=False).startswith(
        "live: 1,234,567, archived: 12,000;"
    )
