"""The org's records: storage by object and Id, unique indexes, the change cursor and undo.

:class:`RecordStore` is the org's memory. It is not locked itself: the
:class:`~heroku_connect.simulator.org.Org` holds its lock around every call. Every change goes
through :meth:`RecordStore.save` or :meth:`RecordStore.purge`, which

* keep an index of the live records' unique and External ID values (text compared
  case-insensitively, like Salesforce), so uniqueness checks and upserts do not scan;
* advance the change cursor (:attr:`RecordStore.seq`) and remember each record's position, so
  the read loop can ask for everything changed since a cursor (:meth:`RecordStore.changes_since`);
* record how to undo themselves while a :meth:`RecordStore.transaction` is open.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from heroku_connect.simulator import ids
from heroku_connect.simulator.describes import ObjectDescribe, Schema

__all__ = ("Change", "RecordStore", "compute_fields", "public")


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


def _index_key(value: Any) -> Any:
    """Unique values compare case-insensitively for text (like Salesforce); None is no key."""
    if value is None or value == "":
        return None
    return value.lower() if isinstance(value, str) else value


def public(record: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``record`` without the store's bookkeeping keys (``_created_seq``)."""
    return {k: v for k, v in record.items() if not k.startswith("_")}


def compute_fields(name: str, record: dict[str, Any], counter: int | None = None) -> None:
    """Set the fields Salesforce computes: compound names and (given ``counter``) auto numbers."""
    if name in ("Contact", "User"):
        record["Name"] = " ".join(
            part for part in (record.get("FirstName"), record.get("LastName")) if part
        )
    if counter is not None and name == "Case":
        record["CaseNumber"] = f"{counter:08d}"
    if counter is not None and name == "Invoice__c":
        record["Name"] = f"INV-{counter:05d}"


class RecordStore:
    """Every record of the org, by object name and Id (see the module docstring)."""

    def __init__(self, schema: Schema, *, seed: int) -> None:
        self.schema = schema
        self._seed = seed
        names = schema.object_names()
        #: object -> sfid -> record (field API name -> Python value)
        self.records: dict[str, dict[str, dict[str, Any]]] = {n: {} for n in names}
        #: object -> ids emptied out of the recycle bin
        self.purged: dict[str, set[str]] = {n: set() for n in names}
        #: object -> sfid -> cursor position of its last change
        self.modseq: dict[str, dict[str, int]] = {n: {} for n in names}
        #: object -> unique/External ID field -> normalised value -> sfid of the live record
        self._unique_index: dict[str, dict[str, dict[Any, str]]] = {
            d.name: {f.name: {} for f in d.fields.values() if f.unique or f.external_id}
            for d in schema.describes()
        }
        self.seq = 0
        #: object -> how many ids it has handed out
        self.counters: dict[str, int] = dict.fromkeys(names, 0)
        self._undo: list[list[Callable[[], None]]] = []
        #: The User that Connect's writes are attributed to (set when the org is seeded).
        self.integration_user = ""

    # --- reading ---------------------------------------------------------------------------

    def record(self, describe: ObjectDescribe, sfid: str) -> dict[str, Any]:
        return public(self.records[describe.name][sfid])

    def find(self, name: str, field_name: str, value: Any) -> dict[str, Any] | None:
        """The live record with this value (unique and External ID fields are indexed)."""
        index = self._unique_index[name].get(field_name)
        if index is not None:
            sfid = index.get(_index_key(value))
            return dict(self.records[name][sfid]) if sfid is not None else None
        wanted = value.lower() if isinstance(value, str) else value
        for record in self.records[name].values():
            current = record.get(field_name)
            if isinstance(current, str):
                current = current.lower()
            if current == wanted and not record.get("IsDeleted"):
                return dict(record)
        return None

    def changes_since(self, name: str, cursor: int) -> tuple[list[Change], int]:
        """Changes of ``name`` after ``cursor`` (one per record, its latest state), in order,
        and the new cursor."""
        changed = sorted((seq, sfid) for sfid, seq in self.modseq[name].items() if seq > cursor)
        result = []
        for _seq, sfid in changed:
            record = self.records[name].get(sfid)
            if record is None:
                result.append(Change("delete", name, sfid, {"Id": sfid}, hard=True))
            elif record.get("IsDeleted"):
                result.append(Change("delete", name, sfid, public(record)))
            else:
                kind = "insert" if record.get("_created_seq", 0) > cursor else "update"
                result.append(Change(kind, name, sfid, public(record)))
        return result, self.seq

    # --- writing ---------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Undo every change made inside the block when an exception escapes it."""
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

    def put(self, name: str, sfid: str, record: dict[str, Any] | None) -> None:
        """Put (or with None remove) a record, keeping the unique-value index current.

        Neither advances the cursor nor can be undone: :meth:`save` and :meth:`purge` do both.
        """
        old = self.records[name].get(sfid)
        index = self._unique_index[name]
        if old is not None:
            for field_name, values in index.items():
                key = _index_key(old.get(field_name))
                if key is not None and values.get(key) == sfid:
                    del values[key]
        if record is None:
            self.records[name].pop(sfid, None)
            return
        self.records[name][sfid] = record
        if not record.get("IsDeleted"):
            for field_name, values in index.items():
                key = _index_key(record.get(field_name))
                if key is not None:
                    values.setdefault(key, sfid)

    def save(self, name: str, sfid: str, record: dict[str, Any]) -> None:
        """Store ``record`` as a change (cursor advanced, undoable)."""
        previous = self.records[name].get(sfid)
        previous_seq = self.modseq[name].get(sfid)
        self.seq += 1
        self.put(name, sfid, record)
        self.modseq[name][sfid] = self.seq
        self._remember(lambda: self._restore(name, sfid, previous, previous_seq))

    def purge(self, name: str, sfid: str) -> None:
        """Remove a record for good (emptied out of the recycle bin) as a change."""
        previous = self.records[name].get(sfid)
        self.put(name, sfid, None)
        previous_seq = self.modseq[name].get(sfid)
        self.seq += 1
        self.modseq[name][sfid] = self.seq
        self.purged[name].add(sfid)

        def undo() -> None:
            self.purged[name].discard(sfid)
            self._restore(name, sfid, previous, previous_seq)

        self._remember(undo)

    def _restore(
        self, name: str, sfid: str, record: dict[str, Any] | None, seq: int | None
    ) -> None:
        self.put(name, sfid, record)
        if seq is None:
            self.modseq[name].pop(sfid, None)
        else:
            self.modseq[name][sfid] = seq

    def _remember(self, undo: Callable[[], None]) -> None:
        if self._undo:
            self._undo[-1].append(undo)

    def new_id(self, describe: ObjectDescribe) -> str:
        """The next id of the object's sequence that no record (adopted ones too) uses."""
        while True:
            self.counters[describe.name] += 1
            sfid = ids.numbered_id(
                describe.key_prefix, self.counters[describe.name] + self._seed * 7919
            )
            if sfid not in self.records[describe.name] and sfid not in self.purged[describe.name]:
                return sfid

    def stamp(self, when: datetime.datetime | None = None) -> dict[str, Any]:
        """The audit fields of a change made ``when`` (now, to the second, by default)."""
        when = when or datetime.datetime.now(datetime.UTC).replace(tzinfo=None, microsecond=0)
        return {
            "LastModifiedDate": when,
            "SystemModstamp": when,
            "LastModifiedById": self.integration_user or None,
        }

    def insert(
        self,
        describe: ObjectDescribe,
        values: dict[str, Any],
        when: datetime.datetime | None = None,
    ) -> str:
        """Create a record from ``values`` as they are (no validation); return its new id."""
        sfid = self.new_id(describe)
        stamp = self.stamp(when)
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
        if "OwnerId" in describe.fields and not record.get("OwnerId") and self.integration_user:
            record["OwnerId"] = self.integration_user
        compute_fields(describe.name, record, counter=self.counters[describe.name])
        self.save(describe.name, sfid, record)
        record["_created_seq"] = self.seq
        return sfid
