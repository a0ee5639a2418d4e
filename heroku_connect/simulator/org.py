"""A simulated Salesforce org: seeded records and write semantics.

The org's objects, fields and validation rules are data, read by
:mod:`heroku_connect.simulator.describes` (``org.schema``, a fresh copy per org).

Records are seeded from ``random.Random(seed)``: the same seed gives the same records, ids and
timestamps (relative to a fixed epoch). Writes (:meth:`Org.upsert`, :meth:`Org.update`,
:meth:`Org.delete`) validate like Salesforce and raise :class:`SalesforceError` with the
message templates of heroku-connect.md §5. :meth:`Org.generate_changes` plays the part of the
org's users (inserts, updates, deletes made "in Salesforce") for the read loop, and
:meth:`Org.changed_since` lists every record changed after a cursor, whoever changed it.

Rules the simulator chooses where Salesforce's are not documented for Heroku Connect:

* an upsert with an ``sfid`` updates that record (by Id); without one it upserts on the
  ``upsert_field`` value, and creates a record when that value is empty or unknown;
* deleted records stay in the recycle bin (``IsDeleted`` true; writes to them answer
  ``entity is deleted``) until :meth:`Org.generate_changes` purges them;
* every method is thread-safe (one re-entrant lock); :meth:`Org.transaction` undoes the
  changes made inside it when an exception escapes, so the engine can tie a batch of org writes
  to its database transaction.
"""

from __future__ import annotations

import datetime
import re
import string
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from random import Random
from typing import Any

from heroku_connect.simulator import errors
from heroku_connect.simulator.describes import (
    FieldDescribe,
    ObjectDescribe,
    Schema,
    ValidationRule,
)
from heroku_connect.simulator.errors import SalesforceError

__all__ = (
    "Change",
    "FieldDescribe",
    "ObjectDescribe",
    "Org",
    "SalesforceError",
    "ValidationRule",
    "salesforce_id",
)

#: Seeded timestamps lie before this instant (UTC, naive like Heroku Connect's columns).
EPOCH = datetime.datetime(2026, 1, 1, 9, 0, 0)

_ID_CHARS = string.digits + string.ascii_uppercase + string.ascii_lowercase
_CHECKSUM_CHARS = string.ascii_uppercase + "012345"
_ID_RE = re.compile(r"^[a-zA-Z0-9]{15}(?:[A-Z0-5]{3})?$")
_EMAIL_RE = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$")


def _index_key(value: Any) -> Any:
    """Unique values compare case-insensitively for text (like Salesforce); None is no key."""
    if value is None or value == "":
        return None
    return value.lower() if isinstance(value, str) else value


def salesforce_id(id15: str) -> str:
    """The 18-character form of a 15-character id (Salesforce's case-safe checksum)."""
    suffix = ""
    for chunk in range(3):
        bits = 0
        for position, char in enumerate(id15[chunk * 5 : chunk * 5 + 5]):
            if char.isupper():
                bits |= 1 << position
        suffix += _CHECKSUM_CHARS[bits]
    return id15 + suffix


@dataclass(frozen=True)
class Change:
    """A change made in Salesforce: ``kind`` is ``insert``, ``update`` or ``delete``.

    ``values`` is the whole record after the change (for a delete, before it); ``hard`` marks a
    delete purged from the recycle bin (the row disappears instead of ``IsDeleted`` = true).
    """

    kind: str
    object_name: str
    sfid: str
    values: dict[str, Any]
    hard: bool = False


INDUSTRIES = (
    "Agriculture", "Banking", "Consulting", "Education", "Energy", "Healthcare",
    "Manufacturing", "Retail", "Technology", "Other",
)  # fmt: skip
ACCOUNT_TYPES = ("Prospect", "Customer - Direct", "Customer - Channel", "Partner", "Other")
LEAD_SOURCES = ("Web", "Phone Inquiry", "Partner Referral", "Purchased List", "Other")
STAGES = (
    "Prospecting", "Qualification", "Needs Analysis", "Proposal/Price Quote",
    "Negotiation/Review", "Closed Won", "Closed Lost",
)  # fmt: skip
CASE_STATUSES = ("New", "Working", "Escalated", "Closed")
PROJECT_STATUSES = ("Planned", "Active", "On Hold", "Done")
INVOICE_STATUSES = ("Draft", "Sent", "Paid", "Overdue")


# --- seed data ------------------------------------------------------------------------------

FIRST_NAMES = (
    "Olivia", "Liam", "Emma", "Noah", "Ava", "Elijah", "Sophia", "Lucas", "Mia", "Mateo",
    "Amelia", "Levi", "Harper", "Aiden", "Evelyn", "Kenji", "Priya", "Jonas", "Chloé", "Ahmed",
    "Fatima", "Sven", "Lena", "Diego", "Yuki", "Aisha", "Marco", "Ingrid", "Tomás", "Zoe",
)  # fmt: skip
LAST_NAMES = (
    "Smith", "Johnson", "Garcia", "Müller", "Brown", "Nguyen", "Kowalski", "O'Brien", "Rossi",
    "Tanaka", "Patel", "Dubois", "Andersson", "Silva", "Kim", "Hansen", "Martin", "Novak",
    "Fischer", "Lopez", "Schmidt", "Walker", "Khan", "Moreau", "Cohen", "Ivanova", "Byrne",
)  # fmt: skip
COMPANY_WORDS = (
    "Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Wonka", "Tyrell", "Cyberdyne",
    "Soylent", "Vandelay", "Hooli", "Pied Piper", "Dunder", "Sterling", "Oscorp", "Gringotts",
    "Aperture", "Massive", "Blue Sun", "Nakatomi", "Monarch", "Virtucon", "Zorg",
)  # fmt: skip
COMPANY_SUFFIXES = ("Inc.", "Ltd", "GmbH", "Group", "Corp.", "Partners", "Holdings", "AG", "LLC")
CITIES = (
    "San Francisco", "Dublin", "Berlin", "Tokyo", "Sydney", "Austin", "Toronto", "Paris",
    "Amsterdam", "São Paulo", "Singapore", "London", "Chicago", "Zurich",
)  # fmt: skip
TITLES = (
    "CEO", "CFO", "VP Sales", "Head of IT", "Operations Manager", "Buyer", "Engineer",
    "Marketing Director", "Account Manager", "Procurement Lead",
)  # fmt: skip
DEPARTMENTS = ("Sales", "Finance", "IT", "Operations", "Marketing", "Support", "Legal")
PROJECT_WORDS = (
    "Migration", "Rollout", "Audit", "Redesign", "Integration", "Pilot", "Upgrade", "Training",
)  # fmt: skip
CASE_SUBJECTS = (
    "Cannot log in", "Invoice amount wrong", "Delivery delayed", "Feature request: export",
    "Password reset", "Outage report", "Billing address change", "Upgrade question",
)  # fmt: skip


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", text.lower().translate(str.maketrans("éüóáã'", "euoaa ")))


class Org:
    """The simulated Salesforce org (thread-safe)."""

    def __init__(
        self,
        seed: int = 0,
        *,
        records_per_object: int = 50,
        organization_id: str | None = None,
    ) -> None:
        self.seed = seed
        self._rng = Random(seed)
        self._lock = threading.RLock()
        self.schema = Schema()
        self._objects: dict[str, ObjectDescribe] = {d.name: d for d in self.schema.describes()}
        self._records: dict[str, dict[str, dict[str, Any]]] = {n: {} for n in self._objects}
        self._purged: dict[str, set[str]] = {n: set() for n in self._objects}
        self._modseq: dict[str, dict[str, int]] = {n: {} for n in self._objects}
        #: object -> unique/External ID field -> normalised value -> sfid of the live record
        self._unique_index: dict[str, dict[str, dict[Any, str]]] = {
            d.name: {f.name: {} for f in d.fields.values() if f.unique or f.external_id}
            for d in self._objects.values()
        }
        self._seq = 0
        self._counters: dict[str, int] = dict.fromkeys(self._objects, 0)
        self._undo: list[list[Callable[[], None]]] = []
        self.organization_id = organization_id or salesforce_id(
            "00D5g0000" + "".join(self._rng.choice(_ID_CHARS) for _ in range(6))
        )
        self._integration_user = ""
        self._seed_records(records_per_object)

    # --- describes ------------------------------------------------------------------------

    def object_names(self) -> list[str]:
        return self.schema.object_names()

    def has_object(self, name: str) -> bool:
        return self.schema.has_object(name)

    def describe(self, name: str) -> ObjectDescribe:
        """The describe of ``name`` (case-insensitive); ``KeyError`` for unknown objects."""
        return self.schema.describe(name)

    def field(self, object_name: str, field_name: str) -> FieldDescribe:
        """A field of ``object_name`` (case-insensitive, ``X__r__Ext__c`` too); ``KeyError``
        when unknown (see :meth:`Schema.field`)."""
        return self.schema.field(object_name, field_name)

    def relationship(
        self, object_name: str, field_name: str
    ) -> tuple[FieldDescribe, ObjectDescribe, FieldDescribe]:
        """For ``X__r__Ext__c``: (base lookup field, target object, external-ID field)."""
        return self.schema.relationship(object_name, field_name)

    def column_type(self, object_name: str, field_name: str) -> str:
        """The PostgreSQL column type Heroku Connect gives the field (heroku-connect.md §4.7)."""
        return self.schema.column_type(object_name, field_name)

    # --- reading --------------------------------------------------------------------------

    def records(self, object_name: str) -> list[dict[str, Any]]:
        """Copies of the live (not deleted) records, field API name -> Python value."""
        name = self.describe(object_name).name
        with self._lock:
            return [self._public(r) for r in self._records[name].values() if not r.get("IsDeleted")]

    def get(self, object_name: str, sfid: str) -> dict[str, Any] | None:
        """A copy of one record (also a deleted one in the recycle bin), or None."""
        name = self.describe(object_name).name
        with self._lock:
            record = self._records[name].get(sfid)
            return self._public(record) if record is not None else None

    def find(self, object_name: str, field_name: str, value: Any) -> dict[str, Any] | None:
        """The live record whose ``field_name`` equals ``value`` (case-insensitive for text)."""
        describe = self.describe(object_name)
        f = describe.field(field_name)
        if f is None:
            raise KeyError(field_name)
        with self._lock:
            found = self._find(describe.name, f.name, value)
            return self._public(found) if found is not None else None

    def field_value(self, object_name: str, record: dict[str, Any], field_name: str) -> Any:
        """``record``'s value of ``field_name``, resolving ``X__r__Ext__c`` through the lookup."""
        describe = self.describe(object_name)
        f = describe.field(field_name)
        if f is not None:
            return record.get(f.name)
        lookup, target, external = self.relationship(object_name, field_name)
        parent_id = record.get(lookup.name)
        if not parent_id:
            return None
        with self._lock:
            parent = self._records[target.name].get(parent_id)
        return parent.get(external.name) if parent else None

    @property
    def sequence(self) -> int:
        """The change cursor: every write and generated change increments it."""
        with self._lock:
            return self._seq

    def changed_since(self, object_name: str, cursor: int) -> tuple[list[Change], int]:
        """Changes of ``object_name`` after ``cursor`` (one per record, its latest state).

        Returns the changes in modification order and the new cursor. Purged records come back
        as ``Change('delete', ..., hard=True)``.
        """
        name = self.describe(object_name).name
        with self._lock:
            changed = sorted(
                (seq, sfid) for sfid, seq in self._modseq[name].items() if seq > cursor
            )
            result = []
            for _seq, sfid in changed:
                record = self._records[name].get(sfid)
                if record is None:
                    result.append(Change("delete", name, sfid, {"Id": sfid}, hard=True))
                elif record.get("IsDeleted"):
                    result.append(Change("delete", name, sfid, self._public(record)))
                else:
                    kind = "insert" if record.get("_created_seq", 0) > cursor else "update"
                    result.append(Change(kind, name, sfid, self._public(record)))
            return result, self._seq

    # --- writing --------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Undo every change made inside the block when an exception escapes it."""
        with self._lock:
            self._undo.append([])
            try:
                yield
            except BaseException:
                for undo in reversed(self._undo.pop()):
                    undo()
                raise
            else:
                done = self._undo.pop()
                if self._undo:  # nested: the outer block may still undo these
                    self._undo[-1].extend(done)

    def upsert(
        self,
        object_name: str,
        values: dict[str, Any],
        *,
        upsert_field: str | None,
        sfid: str | None,
    ) -> tuple[str, bool]:
        """Create or update a record; returns ``(sfid, created)``.

        With ``sfid`` the record is updated by Id; otherwise the ``upsert_field`` value picks
        the record to update, and a new record is created when it matches none (or is empty).
        ``values`` are keyed by field API name or column name (case-insensitive) and may be
        text (as in the trigger log) or Python values.
        """
        describe = self.describe(object_name)
        with self._lock:
            parsed = self._parse_values(describe, values)
            if sfid:
                self._check_id(describe, sfid)
                return self._update(describe, sfid, parsed), False
            key_field = describe.field(upsert_field) if upsert_field else None
            if upsert_field and (key_field is None or not key_field.external_id):
                raise errors.invalid_field(upsert_field, describe.name)
            key = parsed.get(key_field.name) if key_field else None
            if key_field is not None and key not in (None, ""):
                existing = self._find(describe.name, key_field.name, key)
                if existing is not None:
                    return self._update(describe, existing["Id"], parsed), False
            return self._create(describe, parsed), True

    def update(self, object_name: str, sfid: str, values: dict[str, Any]) -> None:
        describe = self.describe(object_name)
        with self._lock:
            parsed = self._parse_values(describe, values)
            self._check_id(describe, sfid)
            self._update(describe, sfid, parsed)

    def delete(self, object_name: str, sfid: str) -> None:
        """Move a record to the recycle bin; ``entity is deleted`` when it is gone already."""
        describe = self.describe(object_name)
        with self._lock:
            self._check_id(describe, sfid)
            record = self._records[describe.name].get(sfid)
            if record is None or record.get("IsDeleted") or "IsDeleted" not in describe.fields:
                if record is None and sfid not in self._purged[describe.name]:
                    raise errors.invalid_cross_reference()
                raise errors.entity_is_deleted()
            self._set(describe.name, sfid, {**record, "IsDeleted": True, **self._stamp()})

    def generate_changes(self, object_name: str, rng: Random, *, max_changes: int) -> list[Change]:
        """Make up to ``max_changes`` changes "in Salesforce" (as the org's users would).

        Inserts, updates and deletes (soft, or a purge of a record already in the recycle bin)
        for objects that allow them; users and record types are only inserted and updated.
        The changes are applied to the org and returned.
        """
        describe = self.describe(object_name)
        changes: list[Change] = []
        with self._lock:
            for _ in range(rng.randint(0, max(0, max_changes))):
                live = [r for r in self._records[describe.name].values() if not r.get("IsDeleted")]
                deleted = [r for r in self._records[describe.name].values() if r.get("IsDeleted")]
                roll = rng.random()
                if describe.name == "RecordType" and roll < 0.9:
                    continue
                if roll < 0.35 or not live:
                    values = self._fake_values(describe.name, rng)
                    sfid = self._insert_raw(describe, values)
                    changes.append(
                        Change("insert", describe.name, sfid, self._record(describe, sfid))
                    )
                elif roll < 0.8 or "IsDeleted" not in describe.fields:
                    record = rng.choice(sorted(live, key=lambda r: r["Id"]))
                    fresh = self._fake_values(describe.name, rng)
                    editable = [
                        k
                        for k in fresh
                        if describe.fields[k].updateable and not describe.fields[k].unique
                    ]
                    picked = rng.sample(sorted(editable), k=min(len(editable), rng.randint(1, 3)))
                    merged = {**record, **{k: fresh[k] for k in picked}, **self._stamp()}
                    self._computed(describe.name, merged)
                    self._set(describe.name, record["Id"], merged)
                    changes.append(
                        Change("update", describe.name, record["Id"], self._public(merged))
                    )
                elif deleted and roll > 0.95:
                    record = rng.choice(sorted(deleted, key=lambda r: r["Id"]))
                    self._purge(describe.name, record["Id"])
                    changes.append(
                        Change(
                            "delete", describe.name, record["Id"], self._public(record), hard=True
                        )
                    )
                else:
                    record = rng.choice(sorted(live, key=lambda r: r["Id"]))
                    self._set(
                        describe.name, record["Id"], {**record, "IsDeleted": True, **self._stamp()}
                    )
                    changes.append(
                        Change("delete", describe.name, record["Id"], self._public(record))
                    )
        return changes

    def adopt(self, object_name: str, records: list[dict[str, Any]]) -> int:
        """Take in records that exist in Salesforce but not in this org object (by ``Id``).

        A restarted simulator starts from its seed, while the mapped tables still hold the
        records written to "Salesforce" in earlier runs. Adopting them keeps those records
        updatable and keeps new ids from colliding with theirs. Unknown fields are ignored;
        returns the number of records adopted.
        """
        describe = self.describe(object_name)
        adopted = 0
        with self._lock:
            for values in records:
                sfid = values.get("Id")
                if not sfid or sfid in self._records[describe.name]:
                    continue
                record: dict[str, Any] = dict.fromkeys(describe.fields)
                record.update({k: v for k, v in values.items() if k in describe.fields})
                stamp = self._stamp()
                record.setdefault("CreatedDate", stamp["SystemModstamp"])
                record.update(**stamp)
                if "IsDeleted" in describe.fields:
                    record["IsDeleted"] = bool(record.get("IsDeleted"))
                self._purged[describe.name].discard(sfid)
                self._set(describe.name, sfid, record)
                adopted += 1
        return adopted

    def fake_values(self, object_name: str, rng: Random) -> dict[str, Any]:
        """Plausible values for a new record (lookups point at existing records)."""
        name = self.describe(object_name).name
        with self._lock:
            return self._fake_values(name, rng)

    def missing_id(self, object_name: str) -> str:
        """A well-formed id of ``object_name`` that no record has (an invalid reference)."""
        describe = self.describe(object_name)
        return salesforce_id(f"{describe.key_prefix}5g00000ZZZZZ")

    def purge(self, object_name: str, sfid: str) -> None:
        """Empty a record out of the recycle bin (a hard delete)."""
        name = self.describe(object_name).name
        with self._lock:
            self._purge(name, sfid)

    def set_user_active(self, sfid: str, active: bool) -> None:
        with self._lock:
            record = self._records["User"][sfid]
            self._set("User", sfid, {**record, "IsActive": active, **self._stamp()})

    # --- internals: storage ---------------------------------------------------------------

    def _public(self, record: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in record.items() if not k.startswith("_")}

    def _record(self, describe: ObjectDescribe, sfid: str) -> dict[str, Any]:
        return self._public(self._records[describe.name][sfid])

    def _store(self, name: str, sfid: str, record: dict[str, Any] | None) -> None:
        """Put (or with None remove) a record, keeping the unique-value index current."""
        old = self._records[name].get(sfid)
        index = self._unique_index[name]
        if old is not None:
            for field_name, values in index.items():
                key = _index_key(old.get(field_name))
                if key is not None and values.get(key) == sfid:
                    del values[key]
        if record is None:
            self._records[name].pop(sfid, None)
            return
        self._records[name][sfid] = record
        if not record.get("IsDeleted"):
            for field_name, values in index.items():
                key = _index_key(record.get(field_name))
                if key is not None:
                    values.setdefault(key, sfid)

    def _set(self, name: str, sfid: str, record: dict[str, Any]) -> None:
        previous = self._records[name].get(sfid)
        previous_seq = self._modseq[name].get(sfid)
        self._seq += 1
        self._store(name, sfid, record)
        self._modseq[name][sfid] = self._seq
        self._remember(lambda: self._restore(name, sfid, previous, previous_seq))

    def _purge(self, name: str, sfid: str) -> None:
        previous = self._records[name].get(sfid)
        self._store(name, sfid, None)
        previous_seq = self._modseq[name].get(sfid)
        self._seq += 1
        self._modseq[name][sfid] = self._seq
        self._purged[name].add(sfid)

        def undo() -> None:
            self._purged[name].discard(sfid)
            self._restore(name, sfid, previous, previous_seq)

        self._remember(undo)

    def _restore(
        self, name: str, sfid: str, record: dict[str, Any] | None, seq: int | None
    ) -> None:
        self._store(name, sfid, record)
        if seq is None:
            self._modseq[name].pop(sfid, None)
        else:
            self._modseq[name][sfid] = seq

    def _remember(self, undo: Callable[[], None]) -> None:
        if self._undo:
            self._undo[-1].append(undo)

    def _find(self, name: str, field_name: str, value: Any) -> dict[str, Any] | None:
        """The live record with this value (unique and External ID fields are indexed)."""
        index = self._unique_index[name].get(field_name)
        if index is not None:
            sfid = index.get(_index_key(value))
            return dict(self._records[name][sfid]) if sfid is not None else None
        wanted = value.lower() if isinstance(value, str) else value
        for record in self._records[name].values():
            current = record.get(field_name)
            if isinstance(current, str):
                current = current.lower()
            if current == wanted and not record.get("IsDeleted"):
                return dict(record)
        return None

    def _new_id(self, describe: ObjectDescribe) -> str:
        """The next id of the object's sequence that no record (adopted ones too) uses."""
        while True:
            self._counters[describe.name] += 1
            number = self._counters[describe.name] + self.seed * 7919
            body = ""
            for _ in range(7):
                number, digit = divmod(number, 62)
                body = _ID_CHARS[digit] + body
            sfid = salesforce_id(f"{describe.key_prefix}5g000{body}")
            if sfid not in self._records[describe.name] and sfid not in self._purged[describe.name]:
                return sfid

    def _stamp(self, when: datetime.datetime | None = None) -> dict[str, Any]:
        when = when or datetime.datetime.now(datetime.UTC).replace(tzinfo=None, microsecond=0)
        return {
            "LastModifiedDate": when,
            "SystemModstamp": when,
            "LastModifiedById": self._integration_user or None,
        }

    def _insert_raw(
        self,
        describe: ObjectDescribe,
        values: dict[str, Any],
        when: datetime.datetime | None = None,
    ) -> str:
        sfid = self._new_id(describe)
        stamp = self._stamp(when)
        record: dict[str, Any] = dict.fromkeys(describe.fields)
        for f in describe.fields.values():
            if f.type == "boolean":
                record[f.name] = False
        record.update(values)
        record.update(
            Id=sfid,
            CreatedDate=stamp["SystemModstamp"],
            CreatedById=stamp["LastModifiedById"],
            **stamp,
        )
        if "IsDeleted" in describe.fields:
            record["IsDeleted"] = False
        if "OwnerId" in describe.fields and not record.get("OwnerId") and self._integration_user:
            record["OwnerId"] = self._integration_user
        self._computed(describe.name, record, counter=self._counters[describe.name])
        self._set(describe.name, sfid, record)
        record["_created_seq"] = self._seq
        return sfid

    def _computed(self, name: str, record: dict[str, Any], counter: int | None = None) -> None:
        """Fields Salesforce computes: compound names and auto numbers."""
        if name in ("Contact", "User"):
            record["Name"] = " ".join(
                part for part in (record.get("FirstName"), record.get("LastName")) if part
            )
        if counter is not None and name == "Case":
            record["CaseNumber"] = f"{counter:08d}"
        if counter is not None and name == "Invoice__c":
            record["Name"] = f"INV-{counter:05d}"

    # --- internals: validation ------------------------------------------------------------

    def _check_id(self, describe: ObjectDescribe, sfid: str) -> None:
        if not _ID_RE.match(sfid):
            raise errors.malformed_id("Record ID", sfid, "Id")
        if not sfid.startswith(describe.key_prefix):
            raise errors.invalid_cross_reference("Id")

    def _parse_values(self, describe: ObjectDescribe, values: dict[str, Any]) -> dict[str, Any]:
        """Resolve names, check writability and parse every value to its Python type."""
        parsed: dict[str, Any] = {}
        not_writable = []
        for key, raw in values.items():
            name = "Id" if key == "sfid" else key
            f = describe.field(name)
            if f is None:
                try:
                    lookup, target, external = self.relationship(describe.name, name)
                except KeyError:
                    raise errors.invalid_field(key, describe.name) from None
                parent = None
                if raw not in (None, ""):
                    parent = self._find(target.name, external.name, str(raw))
                    if parent is None:
                        raise errors.foreign_key_not_found(raw, external.name, target.name)
                parsed[lookup.name] = parent["Id"] if parent else None
                continue
            if not f.writable:
                not_writable.append(f.name)
                continue
            parsed[f.name] = self._parse(f, raw)
        if not_writable:
            raise errors.invalid_field_for_insert_update(not_writable)
        return parsed

    def _parse(self, f: FieldDescribe, raw: Any) -> Any:
        if raw is None or (raw == "" and f.type not in ("boolean",)):
            return None
        text = raw if isinstance(raw, str) else None
        try:
            if f.type == "boolean":
                if isinstance(raw, bool):
                    return raw
                lowered = str(raw).strip().lower()
                if lowered in ("t", "true", "1", "y", "yes", "on"):
                    return True
                if lowered in ("f", "false", "0", "n", "no", "off", ""):
                    return False
                raise ValueError(raw)
            if f.type in ("double", "currency", "percent"):
                number = float(raw)
                if number != number or number in (float("inf"), float("-inf")):
                    raise ValueError(raw)
                return self._check_range(f, number, raw)
            if f.type == "int":
                number = Decimal(str(raw))
                if number != number.to_integral_value():
                    raise ValueError(raw)
                return self._check_range(f, int(number), raw)
            if f.type == "date":
                if isinstance(raw, datetime.date) and not isinstance(raw, datetime.datetime):
                    return raw
                return datetime.date.fromisoformat(str(raw)[:10])
            if f.type == "datetime":
                if isinstance(raw, datetime.datetime):
                    value = raw
                else:
                    value = datetime.datetime.fromisoformat(str(raw).replace(" ", "T", 1))
                if value.tzinfo is not None:
                    value = value.astimezone(datetime.UTC).replace(tzinfo=None)
                return value
            if f.type == "time":
                if isinstance(raw, datetime.time):
                    return raw
                return datetime.time.fromisoformat(str(raw))
        except (ValueError, TypeError, InvalidOperation):
            raise errors.invalid_type(f.label, raw, f.name) from None
        return str(text if text is not None else raw)

    def _check_range(self, f: FieldDescribe, number: float | int, raw: Any) -> float | int:
        if f.precision is not None:
            integer_digits = f.precision - (f.scale or 0)
            if abs(number) >= 10**integer_digits:
                raise errors.number_out_of_range(f.label, raw, f.name)
        return number

    def _validate(
        self,
        describe: ObjectDescribe,
        record: dict[str, Any],
        changed: dict[str, Any],
        *,
        creating: bool,
        sfid: str | None,
    ) -> None:
        """Field-level checks on the changed values, then required fields, uniqueness, rules."""
        for name, value in changed.items():
            f = describe.fields[name]
            if creating and not f.createable:
                raise errors.invalid_field_for_insert_update([name])
            if not creating and not f.updateable:
                raise errors.invalid_field_for_insert_update([name])
            if value is None:
                continue
            text_types = ("string", "textarea", "email", "phone", "url", "picklist")
            if f.type in text_types and f.length and len(value) > f.length:
                raise errors.string_too_long(f.label, value, f.length, name)
            if f.type == "email" and not _EMAIL_RE.match(value):
                raise errors.invalid_email(f.label, value, name)
            if f.type == "picklist" and f.restricted_picklist and value not in f.picklist_values:
                raise errors.restricted_picklist(f.label, value, name)
            if f.type == "multipicklist" and len(value) > (f.length or 4099):
                raise errors.string_too_long(f.label, value, f.length or 4099, name)
            if f.type == "reference":
                self._check_reference(f, value)
        missing = [
            f.name
            for f in describe.fields.values()
            if f.required and f.createable and record.get(f.name) in (None, "")
        ]
        if missing:
            raise errors.required_fields_missing(missing)
        for f in describe.fields.values():
            if not f.unique or f.name not in changed or changed[f.name] in (None, ""):
                continue
            other = self._find(describe.name, f.name, changed[f.name])
            if other is not None and other["Id"] != sfid:
                raise errors.duplicate_value(f.name, other["Id"])
        for rule in describe.validation_rules:
            if rule.fails(record):
                raise errors.custom_validation(rule.message, rule.error_field)

    def _check_reference(self, f: FieldDescribe, value: str) -> None:
        if not _ID_RE.match(value):
            raise errors.malformed_id(f.label, value, f.name)
        target = self.describe(f.reference_to or "")
        record = self._records[target.name].get(value)
        if record is None or record.get("IsDeleted") or not value.startswith(target.key_prefix):
            raise errors.invalid_cross_reference(f.name)
        if f.name == "OwnerId" and not record.get("IsActive"):
            raise errors.cannot_reparent(f.name)

    def _create(self, describe: ObjectDescribe, parsed: dict[str, Any]) -> str:
        candidate = {f.name: None for f in describe.fields.values()}
        for f in describe.fields.values():
            if f.type == "boolean":
                candidate[f.name] = False
        candidate.update(parsed)
        self._validate(describe, candidate, parsed, creating=True, sfid=None)
        return self._insert_raw(describe, parsed)

    def _update(self, describe: ObjectDescribe, sfid: str, parsed: dict[str, Any]) -> str:
        current = self._records[describe.name].get(sfid)
        if current is None:
            if sfid in self._purged[describe.name]:
                raise errors.entity_is_deleted()
            raise errors.invalid_cross_reference("Id")
        if current.get("IsDeleted"):
            raise errors.entity_is_deleted()
        for name, value in list(parsed.items()):
            if describe.fields[name].type == "boolean" and value is None:
                parsed[name] = False
        merged = {**current, **parsed}
        self._validate(describe, merged, parsed, creating=False, sfid=sfid)
        merged.update(self._stamp())
        self._computed(describe.name, merged)
        self._set(describe.name, sfid, merged)
        return sfid

    # --- internals: seed data -------------------------------------------------------------

    def _person(self, rng: Random) -> tuple[str, str]:
        return rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)

    def _pick(self, name: str, rng: Random, *, active_only: bool = False) -> str | None:
        candidates = sorted(
            sfid
            for sfid, record in self._records[name].items()
            if not record.get("IsDeleted") and (not active_only or record.get("IsActive"))
        )
        return rng.choice(candidates) if candidates else None

    def _fake_values(self, name: str, rng: Random) -> dict[str, Any]:
        """Plausible values for a new record of ``name`` (references to existing records)."""
        first, last = self._person(rng)
        city = rng.choice(CITIES)
        external = f"{rng.getrandbits(128):032x}"
        owner = self._pick("User", rng, active_only=True)
        if name == "User":
            n = self._counters["User"] + 1
            email = f"{_slug(first)}.{_slug(last)}{n}@example.com"
            return {
                "Username": email,
                "FirstName": first,
                "LastName": last,
                "Email": email,
                "Alias": (_slug(first)[:1] + _slug(last))[:8],
                "Title": rng.choice(TITLES),
                "Department": rng.choice(DEPARTMENTS),
                "IsActive": rng.random() > 0.15,
            }
        if name == "Account":
            company = f"{rng.choice(COMPANY_WORDS)} {rng.choice(COMPANY_SUFFIXES)}"
            return {
                "Name": company,
                "AccountNumber": f"AC-{rng.randint(10000, 99999)}",
                "Type": rng.choice(ACCOUNT_TYPES),
                "Industry": rng.choice(INDUSTRIES),
                "Rating": rng.choice(("Hot", "Warm", "Cold")),
                "Phone": f"+1 (415) 555-{rng.randint(0, 9999):04d}",
                "Website": f"https://www.{_slug(company)}.example.com",
                "AnnualRevenue": float(rng.randint(1, 500) * 100_000),
                "NumberOfEmployees": rng.randint(5, 50_000),
                "BillingCity": city,
                "OwnerId": owner,
                "RecordTypeId": self._pick_record_type("Account", rng),
                "External_ID__c": external,
            }
        if name == "Contact":
            account = self._pick("Account", rng)
            domain = "example.org"
            if account:
                domain = _slug(self._records["Account"][account]["Name"]) + ".example.com"
            return {
                "Salutation": rng.choice(("Mr.", "Ms.", "Dr.", None)),
                "FirstName": first,
                "LastName": last,
                "Title": rng.choice(TITLES),
                "Department": rng.choice(DEPARTMENTS),
                "Email": f"{_slug(first)}.{_slug(last)}@{domain}",
                "Phone": f"+1 (212) 555-{rng.randint(0, 9999):04d}",
                "Birthdate": datetime.date(1950, 1, 1)
                + datetime.timedelta(days=rng.randint(0, 18000)),
                "LeadSource": rng.choice(LEAD_SOURCES),
                "MailingCity": city,
                "AccountId": account,
                "OwnerId": owner,
                "External_ID__c": external,
            }
        if name == "Opportunity":
            stage = rng.choice(STAGES)
            return {
                "Name": f"{rng.choice(COMPANY_WORDS)} - {rng.choice(PROJECT_WORDS)}",
                "StageName": stage,
                "CloseDate": EPOCH.date() + datetime.timedelta(days=rng.randint(-200, 200)),
                "Amount": float(rng.randint(1, 400) * 1000),
                "Probability": float(rng.choice((10, 20, 50, 75, 90, 100))),
                "LeadSource": rng.choice(LEAD_SOURCES),
                "AccountId": self._pick("Account", rng),
                "OwnerId": owner,
                "External_ID__c": external,
            }
        if name == "Case":
            status = rng.choice(CASE_STATUSES)
            return {
                "Subject": rng.choice(CASE_SUBJECTS),
                "Status": status,
                "Priority": "High" if status == "Escalated" else rng.choice(("Medium", "Low")),
                "Origin": rng.choice(("Phone", "Email", "Web")),
                "ContactId": self._pick("Contact", rng),
                "AccountId": self._pick("Account", rng),
                "OwnerId": owner,
            }
        if name == "Project__c":
            status = rng.choice(PROJECT_STATUSES)
            return {
                "Name": f"{rng.choice(COMPANY_WORDS)} {rng.choice(PROJECT_WORDS)}",
                "Status__c": status,
                "Budget__c": float(rng.randint(5, 500) * 1000),
                "Start_Date__c": EPOCH.date() + datetime.timedelta(days=rng.randint(-300, 60)),
                "Account__c": self._pick("Account", rng),
                "Description__c": f"{rng.choice(PROJECT_WORDS)} for the {city} office.",
                "Completion__c": float(rng.randint(0, 100)),
                "OwnerId": owner,
                "External_ID__c": external,
            }
        if name == "Invoice__c":
            paid = rng.random() < 0.4
            return {
                "Project__c": self._pick("Project__c", rng),
                "Amount__c": float(rng.randint(100, 50_000)),
                "Status__c": "Paid" if paid else rng.choice(("Draft", "Sent", "Overdue")),
                "Paid__c": paid,
                "Due_Date__c": EPOCH.date() + datetime.timedelta(days=rng.randint(-60, 60)),
                "Billing_Email__c": f"billing@{_slug(rng.choice(COMPANY_WORDS))}.example.com",
                "OwnerId": owner,
                "External_ID__c": external,
            }
        if name == "RecordType":
            word = rng.choice(PROJECT_WORDS)
            return {
                "Name": word,
                "DeveloperName": word,
                "SobjectType": "Account",
                "IsActive": True,
            }
        return {}

    def _pick_record_type(self, sobject: str, rng: Random) -> str | None:
        candidates = sorted(
            sfid
            for sfid, record in self._records["RecordType"].items()
            if record.get("SobjectType") == sobject and record.get("IsActive")
        )
        return rng.choice(candidates) if candidates else None

    def _seed_records(self, per_object: int) -> None:
        rng = self._rng

        def when() -> datetime.datetime:
            return EPOCH - datetime.timedelta(seconds=rng.randint(3600, 400 * 86400))

        with self._lock:
            integration = self._insert_raw(
                self._objects["User"],
                {
                    "Username": "integration@hcop-sim.example.com",
                    "FirstName": "Integration",
                    "LastName": "User",
                    "Email": "integration@hcop-sim.example.com",
                    "Alias": "integ",
                    "IsActive": True,
                },
                when(),
            )
            self._integration_user = integration
            record_types = [
                ("Customer", "Customer", "Account"),
                ("Partner", "Partner", "Account"),
                ("Internal", "Internal", "Project__c"),
                ("Client", "Client", "Project__c"),
                ("Support", "Support", "Case"),
            ]
            for label, developer, sobject in record_types:
                self._insert_raw(
                    self._objects["RecordType"],
                    {"Name": label, "DeveloperName": developer, "SobjectType": sobject,
                     "IsActive": True},
                    when(),
                )  # fmt: skip
            users = max(3, per_object // 5)
            order = [
                "User",
                "Account",
                "Contact",
                "Opportunity",
                "Project__c",
                "Case",
                "Invoice__c",
            ]
            for name in order:
                count = users if name == "User" else per_object
                describe = self._objects[name]
                for _ in range(count):
                    self._insert_raw(describe, self._fake_values(name, rng), when())
                if name == "User" and all(u["IsActive"] for u in self._records["User"].values()):
                    # Every org has a former employee: owning records by them is refused.
                    last = max(self._records["User"])
                    self._store("User", last, {**self._records["User"][last], "IsActive": False})
            # A few records already in the recycle bin, as in any real org.
            for name in ("Account", "Contact", "Opportunity"):
                live = sorted(self._records[name])
                for sfid in rng.sample(live, k=min(len(live) // 20, len(live))):
                    self._store(name, sfid, {**self._records[name][sfid], "IsDeleted": True})
            self._seq = 0
            for name in self._modseq:
                self._modseq[name] = dict.fromkeys(self._modseq[name], 0)
            for records in self._records.values():
                for record in records.values():
                    record["_created_seq"] = 0
