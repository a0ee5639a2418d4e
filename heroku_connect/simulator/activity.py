"""Application activity for demos: an app writing to the connected tables.

Heroku Connect only moves data; in a demo nobody edits the mapped tables, so there would be no
writes to show. :class:`ApplicationActivity` plays the application: it inserts, updates and
deletes rows of the read-write mapped tables through an ordinary session (``xmlbinary =
'base64'``), so the capture triggers log them as ``NEW`` like any application write. A fraction
(``failure_rate``) of the writes carry data Salesforce rejects, giving the mix operators see in
production: a required field left empty, an invalid email, a value outside a restricted
picklist, a lookup to a record that does not exist, a number out of range, a validation rule,
an inactive owner, or an update of a record someone deleted in Salesforce.

It keeps writing while the connection is paused (the triggers still capture), and leaves alone
the tables of mappings being created, altered or reloaded.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from typing import Any

import psycopg
from psycopg import sql

from heroku_connect.schema import APPLICATION_SESSION_SQL
from heroku_connect.simulator.org import FieldDescribe, Org
from heroku_connect.simulator.state import Mapping, MappingState, SimulatorState, column_name
from heroku_connect.states import ERROR_MAPPING_STATES, TEMPORARY_ERROR_MAPPING_STATES

__all__ = ("APPLICATION_NAME", "ApplicationActivity")

#: ``application_name`` of the activity's database session.
APPLICATION_NAME = "heroku-connect-simulator-app"

_SKIPPED_MAPPING_STATES = frozenset(
    {
        *TEMPORARY_ERROR_MAPPING_STATES,
        *ERROR_MAPPING_STATES,
        MappingState.RELOAD_TABLE,
        MappingState.RESYNC,
    }
)

Patch = dict[str, Any]


class ApplicationActivity:
    """Writes like an application using the mapped tables (see the module docstring)."""

    def __init__(
        self,
        database_url: str,
        *,
        schema: str = "salesforce",
        org: Org,
        state: SimulatorState,
        failure_rate: float = 0.1,
        rng_seed: int = 0,
        max_writes: int = 3,
    ) -> None:
        if not 0.0 <= failure_rate <= 1.0:
            raise ValueError("failure_rate must be between 0 and 1")
        self.database_url = database_url
        self.schema = schema
        self.org = org
        self.state = state
        self.failure_rate = failure_rate
        self.max_writes = max_writes
        self._rng = random.Random(rng_seed + 2)
        self._conn: psycopg.Connection | None = None

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _connection(self) -> psycopg.Connection:
        if self._conn is None or self._conn.closed:
            self._conn = psycopg.connect(
                self.database_url,
                autocommit=True,
                connect_timeout=10,
                application_name=APPLICATION_NAME,
            )
            self._conn.execute(APPLICATION_SESSION_SQL)
        return self._conn

    def cycle(self) -> dict[str, int]:
        """Up to ``max_writes`` writes per read-write mapping; returns counts per kind.

        Kinds: ``insert``, ``update``, ``delete``, and ``bad`` for the writes made to fail.
        """
        counts: Counter[str] = Counter()
        for mapping in self.state.read_write_mappings():
            if mapping.state in _SKIPPED_MAPPING_STATES:
                continue
            for _ in range(self._rng.randint(0, self.max_writes)):
                counts.update(self._one_write(mapping))
        return {kind: n for kind, n in counts.items() if n}

    # --- one write ------------------------------------------------------------------------

    def _one_write(self, mapping: Mapping) -> Counter[str]:
        roll = self._rng.random()
        bad = self._rng.random() < self.failure_rate
        synced = self._synced_rows(mapping)
        if roll < 0.5 or not synced:
            return self._insert(mapping, bad=bad)
        record_id, sfid = self._rng.choice(synced)
        if roll < 0.93:
            return self._update(mapping, record_id, sfid, bad=bad)
        table = self._table(mapping)
        self._connection().execute(
            sql.SQL("DELETE FROM {} WHERE id = %s").format(table), [record_id]
        )
        return Counter(delete=1)

    def _insert(self, mapping: Mapping, *, bad: bool) -> Counter[str]:
        fake = self.org.fake_values(mapping.object_name, self._rng)
        values: Patch = {}
        for name in mapping.fields:
            describe = self._field(mapping, name)
            if describe is None or not describe.createable or name == "Id":
                continue
            values[name] = self.org.field_value(mapping.object_name, fake, name)
        patch = self._hazard(mapping) if bad else None
        if patch is not None:
            values.update(patch)
        self._write(mapping, values, record_id=None)
        return Counter(insert=1, bad=int(patch is not None))

    def _update(self, mapping: Mapping, record_id: int, sfid: str, *, bad: bool) -> Counter[str]:
        values: Patch | None = None
        if bad and self._rng.random() < 0.2 and self._can_delete_in_org(mapping, sfid):
            self.org.delete(mapping.object_name, sfid)  # someone deleted it in Salesforce
            values = self._plausible_changes(mapping)
        elif bad:
            values = self._hazard(mapping)
        made_bad = values is not None
        if values is None:
            values = self._plausible_changes(mapping)
        if not values:
            return Counter()
        self._write(mapping, values, record_id=record_id)
        return Counter(update=1, bad=int(made_bad))

    def _plausible_changes(self, mapping: Mapping) -> Patch:
        """New values for one or two updateable mapped fields."""
        fake = self.org.fake_values(mapping.object_name, self._rng)
        editable = [
            name
            for name in mapping.fields
            if (f := self._field(mapping, name)) is not None
            and f.updateable
            and not f.unique
            and name in fake
        ]
        picked = self._rng.sample(sorted(editable), k=min(len(editable), 2))
        return {name: fake[name] for name in picked}

    def _can_delete_in_org(self, mapping: Mapping, sfid: str) -> bool:
        record = self.org.get(mapping.object_name, sfid)
        describe = self.org.describe(mapping.object_name)
        return record is not None and not record.get("IsDeleted") and "IsDeleted" in describe.fields

    # --- bad data -------------------------------------------------------------------------

    def _hazard(self, mapping: Mapping) -> Patch | None:
        """A patch of the mapped fields that Salesforce will reject, or None if none applies."""
        candidates: list[Callable[[], Patch]] = []
        for name in mapping.fields:
            f = self._field(mapping, name)
            if f is None or not (f.createable or f.updateable) or name == "Id":
                continue
            candidates += self._field_hazards(f, name)
        mapped = {name.lower() for name in mapping.fields}
        for rule in self.org.describe(mapping.object_name).validation_rules:
            if rule.violation and all(key.lower() in mapped for key in rule.violation):
                candidates.append(lambda rule=rule: dict(rule.violation))
        if not candidates:
            return None
        return self._rng.choice(candidates)()

    def _field_hazards(self, f: FieldDescribe, name: str) -> list[Callable[[], Patch]]:
        found: list[Callable[[], Patch]] = []
        if f.required:
            found.append(lambda: {name: None})
        if f.type == "email":
            found.append(lambda: {name: self._rng.choice(("foo@", "jane.doe@", "n/a"))})
        if f.type == "picklist" and f.restricted_picklist:
            found.append(lambda: {name: self._rng.choice(("Urgent!", "Cancelled", "TBD"))})
        if f.type == "reference" and f.reference_to and name == f.name:
            if name == "OwnerId":
                inactive = [u["Id"] for u in self.org.records("User") if not u["IsActive"]]
                if inactive:
                    found.append(lambda: {name: self._rng.choice(sorted(inactive))})
            else:
                found.append(lambda: {name: self.org.missing_id(f.reference_to or "")})
        if f.type in ("int", "double", "currency", "percent") and f.precision:
            digits = f.precision - (f.scale or 0)
            if digits <= 9:
                found.append(lambda: {name: 10**digits})
        return found

    # --- database -------------------------------------------------------------------------

    def _field(self, mapping: Mapping, name: str) -> FieldDescribe | None:
        try:
            return self.org.field(mapping.object_name, name)
        except KeyError:
            return None

    def _table(self, mapping: Mapping) -> sql.Composed:
        return sql.SQL("{}.{}").format(
            sql.Identifier(self.schema), sql.Identifier(mapping.table_name)
        )

    def _synced_rows(self, mapping: Mapping) -> list[tuple[int, str]]:
        query = sql.SQL(
            "SELECT id, sfid FROM {} WHERE sfid IS NOT NULL ORDER BY id DESC LIMIT 500"
        ).format(self._table(mapping))
        if "IsDeleted" in mapping.fields:
            query = sql.SQL(
                "SELECT id, sfid FROM {} WHERE sfid IS NOT NULL AND isdeleted IS NOT TRUE "
                "ORDER BY id DESC LIMIT 500"
            ).format(self._table(mapping))
        return [(r[0], r[1]) for r in self._connection().execute(query).fetchall()]

    def _write(self, mapping: Mapping, values: Patch, *, record_id: int | None) -> None:
        columns = [column_name(name) for name in values]
        table = self._table(mapping)
        conn = self._connection()
        if record_id is None:
            conn.execute(
                sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
                    table,
                    sql.SQL(", ").join(sql.Identifier(c) for c in columns),
                    sql.SQL(", ").join(sql.Placeholder() * len(columns)),
                ),
                list(values.values()),
            )
            return
        assignments = sql.SQL(", ").join(
            sql.SQL("{} = %s").format(sql.Identifier(c)) for c in columns
        )
        conn.execute(
            sql.SQL("UPDATE {} SET {} WHERE id = %s").format(table, assignments),
            [*values.values(), record_id],
        )
