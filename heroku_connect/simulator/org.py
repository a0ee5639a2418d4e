"""A simulated Salesforce org: its records and how it answers writes.

:class:`Org` is the one object the rest of the simulator talks to; it puts together

* the schema (:mod:`~heroku_connect.simulator.describes`, objects and fields as data, a fresh
  copy per org),
* the records (:mod:`~heroku_connect.simulator.store`: storage, unique indexes, change cursor,
  undo) and their seed (:mod:`~heroku_connect.simulator.seed`: the same seed gives the same
  records, ids and timestamps),
* the write checks (:mod:`~heroku_connect.simulator.validation`), which raise
  :class:`SalesforceError` with the message templates of docs/heroku-connect/errors.md §2.

Writes are :meth:`Org.upsert`, :meth:`Org.update` and :meth:`Org.delete`.
:meth:`Org.generate_changes` plays the part of the org's users (inserts, updates, deletes made
"in Salesforce") for the read loop, and :meth:`Org.changed_since` lists every record changed after
a cursor, whoever changed it.

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

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from random import Random
from typing import Any

from heroku_connect.simulator import errors, ids, validation
from heroku_connect.simulator.describes import (
    FieldDescribe,
    ObjectDescribe,
    Schema,
    ValidationRule,
)
from heroku_connect.simulator.errors import SalesforceError
from heroku_connect.simulator.ids import salesforce_id
from heroku_connect.simulator.seed import fake_values, seed_records
from heroku_connect.simulator.store import Change, RecordStore, compute_fields, public

__all__ = (
    "Change",
    "FieldDescribe",
    "ObjectDescribe",
    "Org",
    "SalesforceError",
    "ValidationRule",
    "salesforce_id",
)


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
        rng = Random(seed)
        self._lock = threading.RLock()
        #: The org's objects (its own copies of the describes).
        self.schema = Schema()
        self._store = RecordStore(self.schema, seed=seed)
        self.organization_id = organization_id or ids.organization_id(rng)
        with self._lock:
            seed_records(self._store, rng, records_per_object)

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
        """The PostgreSQL column type Heroku Connect gives the field
        (docs/heroku-connect/database.md §9)."""
        return self.schema.column_type(object_name, field_name)

    # --- reading --------------------------------------------------------------------------

    def records(self, object_name: str) -> list[dict[str, Any]]:
        """Copies of the live (not deleted) records, field API name -> Python value."""
        name = self.describe(object_name).name
        with self._lock:
            return [public(r) for r in self._store.records[name].values() if not r.get("IsDeleted")]

    def get(self, object_name: str, sfid: str) -> dict[str, Any] | None:
        """A copy of one record (also a deleted one in the recycle bin), or None."""
        name = self.describe(object_name).name
        with self._lock:
            record = self._store.records[name].get(sfid)
            return public(record) if record is not None else None

    def find(self, object_name: str, field_name: str, value: Any) -> dict[str, Any] | None:
        """The live record whose ``field_name`` equals ``value`` (case-insensitive for text)."""
        describe = self.describe(object_name)
        f = describe.field(field_name)
        if f is None:
            raise KeyError(field_name)
        with self._lock:
            found = self._store.find(describe.name, f.name, value)
            return public(found) if found is not None else None

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
            parent = self._store.records[target.name].get(parent_id)
        return parent.get(external.name) if parent else None

    @property
    def sequence(self) -> int:
        """The change cursor: every write and generated change increments it."""
        with self._lock:
            return self._store.seq

    def changed_since(self, object_name: str, cursor: int) -> tuple[list[Change], int]:
        """Changes of ``object_name`` after ``cursor`` (one per record, its latest state).

        Returns the changes in modification order and the new cursor. Purged records come back
        as ``Change('delete', ..., hard=True)``.
        """
        name = self.describe(object_name).name
        with self._lock:
            return self._store.changes_since(name, cursor)

    # --- writing --------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Undo every change made inside the block when an exception escapes it."""
        with self._lock, self._store.transaction():
            yield

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
            parsed = validation.parse_values(self._store, describe, values)
            if sfid:
                validation.check_id(describe, sfid)
                return self._update(describe, sfid, parsed), False
            key_field = describe.field(upsert_field) if upsert_field else None
            if upsert_field and (key_field is None or not key_field.external_id):
                raise errors.invalid_field(upsert_field, describe.name)
            key = parsed.get(key_field.name) if key_field else None
            if key_field is not None and key not in (None, ""):
                existing = self._store.find(describe.name, key_field.name, key)
                if existing is not None:
                    return self._update(describe, existing["Id"], parsed), False
            return self._create(describe, parsed), True

    def update(self, object_name: str, sfid: str, values: dict[str, Any]) -> None:
        describe = self.describe(object_name)
        with self._lock:
            parsed = validation.parse_values(self._store, describe, values)
            validation.check_id(describe, sfid)
            self._update(describe, sfid, parsed)

    def delete(self, object_name: str, sfid: str) -> None:
        """Move a record to the recycle bin; ``entity is deleted`` when it is gone already."""
        describe = self.describe(object_name)
        with self._lock:
            validation.check_id(describe, sfid)
            record = self._store.records[describe.name].get(sfid)
            if record is None or record.get("IsDeleted") or "IsDeleted" not in describe.fields:
                if record is None and sfid not in self._store.purged[describe.name]:
                    raise errors.invalid_cross_reference()
                raise errors.entity_is_deleted()
            self._store.save(
                describe.name, sfid, {**record, "IsDeleted": True, **self._store.stamp()}
            )

    def generate_changes(self, object_name: str, rng: Random, *, max_changes: int) -> list[Change]:
        """Make up to ``max_changes`` changes "in Salesforce" (as the org's users would).

        Inserts, updates and deletes (soft, or a purge of a record already in the recycle bin)
        for objects that allow them; users and record types are only inserted and updated.
        The changes are applied to the org and returned.
        """
        describe = self.describe(object_name)
        changes: list[Change] = []
        with self._lock:
            records = self._store.records[describe.name]
            for _ in range(rng.randint(0, max(0, max_changes))):
                live = [r for r in records.values() if not r.get("IsDeleted")]
                deleted = [r for r in records.values() if r.get("IsDeleted")]
                roll = rng.random()
                if describe.name == "RecordType" and roll < 0.9:
                    continue
                if roll < 0.35 or not live:
                    values = fake_values(self._store, describe.name, rng)
                    sfid = self._store.insert(describe, values)
                    changes.append(
                        Change("insert", describe.name, sfid, self._store.record(describe, sfid))
                    )
                elif roll < 0.8 or "IsDeleted" not in describe.fields:
                    record = rng.choice(sorted(live, key=lambda r: r["Id"]))
                    fresh = fake_values(self._store, describe.name, rng)
                    editable = [
                        k
                        for k in fresh
                        if describe.fields[k].updateable and not describe.fields[k].unique
                    ]
                    picked = rng.sample(sorted(editable), k=min(len(editable), rng.randint(1, 3)))
                    merged = {**record, **{k: fresh[k] for k in picked}, **self._store.stamp()}
                    compute_fields(describe.name, merged)
                    self._store.save(describe.name, record["Id"], merged)
                    changes.append(Change("update", describe.name, record["Id"], public(merged)))
                elif deleted and roll > 0.95:
                    record = rng.choice(sorted(deleted, key=lambda r: r["Id"]))
                    self._store.purge(describe.name, record["Id"])
                    changes.append(
                        Change("delete", describe.name, record["Id"], public(record), hard=True)
                    )
                else:
                    record = rng.choice(sorted(live, key=lambda r: r["Id"]))
                    deleted_record = {**record, "IsDeleted": True, **self._store.stamp()}
                    self._store.save(describe.name, record["Id"], deleted_record)
                    changes.append(Change("delete", describe.name, record["Id"], public(record)))
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
                if not sfid or sfid in self._store.records[describe.name]:
                    continue
                record: dict[str, Any] = dict.fromkeys(describe.fields)
                record.update({k: v for k, v in values.items() if k in describe.fields})
                stamp = self._store.stamp()
                record.setdefault("CreatedDate", stamp["SystemModstamp"])
                record.update(**stamp)
                if "IsDeleted" in describe.fields:
                    record["IsDeleted"] = bool(record.get("IsDeleted"))
                self._store.purged[describe.name].discard(sfid)
                self._store.save(describe.name, sfid, record)
                adopted += 1
        return adopted

    def fake_values(self, object_name: str, rng: Random) -> dict[str, Any]:
        """Plausible values for a new record (lookups point at existing records)."""
        name = self.describe(object_name).name
        with self._lock:
            return fake_values(self._store, name, rng)

    def missing_id(self, object_name: str) -> str:
        """A well-formed id of ``object_name`` that no record has (an invalid reference)."""
        describe = self.describe(object_name)
        return ids.missing_id(describe.key_prefix)

    def purge(self, object_name: str, sfid: str) -> None:
        """Empty a record out of the recycle bin (a hard delete)."""
        name = self.describe(object_name).name
        with self._lock:
            self._store.purge(name, sfid)

    def set_user_active(self, sfid: str, active: bool) -> None:
        with self._lock:
            record = self._store.records["User"][sfid]
            self._store.save("User", sfid, {**record, "IsActive": active, **self._store.stamp()})

    # --- internals ---------------------------------------------------------------------------

    def _create(self, describe: ObjectDescribe, parsed: dict[str, Any]) -> str:
        candidate = {f.name: None for f in describe.fields.values()}
        for f in describe.fields.values():
            if f.type == "boolean":
                candidate[f.name] = False
        candidate.update(parsed)
        validation.validate(self._store, describe, candidate, parsed, creating=True, sfid=None)
        return self._store.insert(describe, parsed)

    def _update(self, describe: ObjectDescribe, sfid: str, parsed: dict[str, Any]) -> str:
        current = self._store.records[describe.name].get(sfid)
        if current is None:
            if sfid in self._store.purged[describe.name]:
                raise errors.entity_is_deleted()
            raise errors.invalid_cross_reference("Id")
        if current.get("IsDeleted"):
            raise errors.entity_is_deleted()
        for name, value in list(parsed.items()):
            if describe.fields[name].type == "boolean" and value is None:
                parsed[name] = False
        merged = {**current, **parsed}
        validation.validate(self._store, describe, merged, parsed, creating=False, sfid=sfid)
        merged.update(self._store.stamp())
        compute_fields(describe.name, merged)
        self._store.save(describe.name, sfid, merged)
        return sfid
