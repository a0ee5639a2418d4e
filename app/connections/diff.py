"""Semantic diff of Heroku Connect mapping documents (pure functions, no I/O).

``code`` is what the models generate (``heroku_connect.mapping.get_mapping()``), ``deployed`` what
the export endpoint returns. Both use the import/export JSON format
(docs/heroku-connect/configuration.md).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

#: Config keys compared as scalar settings, with their labels.
SCALAR_SETTINGS: tuple[tuple[str, str], ...] = (
    ("access", "access"),
    ("sf_polling_seconds", "polling interval (s)"),
    ("sf_notify_enabled", "accelerated polling (notify)"),
    ("sf_max_daily_api_calls", "max daily API calls"),
    ("upsert_field", "upsert field"),
)


@dataclass(frozen=True)
class Change:
    """One changed setting of an object: ``setting`` went from ``before`` to ``after``."""

    setting: str
    before: Any
    after: Any


@dataclass
class ObjectDiff:
    """Differences of one Salesforce object between the code and the deployed mapping."""

    object_name: str
    status: str  # "added" (only in code), "removed" (only deployed) or "changed"
    changes: list[Change] = field(default_factory=list)
    fields_added: list[str] = field(default_factory=list)
    fields_removed: list[str] = field(default_factory=list)
    indexes_added: list[str] = field(default_factory=list)
    indexes_removed: list[str] = field(default_factory=list)
    uniqueness_changed: list[Change] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return self.status == "changed" and not (
            self.changes
            or self.fields_added
            or self.fields_removed
            or self.indexes_added
            or self.indexes_removed
            or self.uniqueness_changed
        )


@dataclass
class MappingDiff:
    """The whole diff; ``objects`` holds only objects with differences, sorted by name."""

    objects: list[ObjectDiff]

    @property
    def has_changes(self) -> bool:
        return bool(self.objects)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (``mapping_diff --json``)."""
        return {
            "differs": self.has_changes,
            "summary": self.summary(),
            "objects": [asdict(o) for o in self.objects],
        }

    def summary(self) -> dict[str, int]:
        """Counts for storage in an import job and for headlines."""
        return {
            "added": sum(o.status == "added" for o in self.objects),
            "removed": sum(o.status == "removed" for o in self.objects),
            "changed": sum(o.status == "changed" for o in self.objects),
        }


@dataclass(frozen=True)
class ValidationWarning:
    """A pre-import validation warning for one object."""

    object_name: str
    code: str
    message: str


def _by_object(document: Mapping[str, Any] | None) -> dict[str, dict[str, Any]]:
    mappings = (document or {}).get("mappings") or []
    return {m["object_name"]: dict(m.get("config") or {}) for m in mappings}


def _index_map(config: Mapping[str, Any]) -> dict[str, bool]:
    return {
        name: bool((opts or {}).get("unique", False))
        for name, opts in (config.get("indexes") or {}).items()
    }


def diff_object(
    object_name: str, code: Mapping[str, Any], deployed: Mapping[str, Any]
) -> ObjectDiff:
    """Compare one object's config (code vs deployed)."""
    result = ObjectDiff(object_name=object_name, status="changed")
    for key, label in SCALAR_SETTINGS:
        before, after = deployed.get(key), code.get(key)
        if before != after:
            result.changes.append(Change(label, before, after))
    code_fields, deployed_fields = set(code.get("fields") or {}), set(deployed.get("fields") or {})
    result.fields_added = sorted(code_fields - deployed_fields)
    result.fields_removed = sorted(deployed_fields - code_fields)
    code_idx, deployed_idx = _index_map(code), _index_map(deployed)
    result.indexes_added = sorted(set(code_idx) - set(deployed_idx))
    result.indexes_removed = sorted(set(deployed_idx) - set(code_idx))
    result.uniqueness_changed = [
        Change(name, deployed_idx[name], code_idx[name])
        for name in sorted(set(code_idx) & set(deployed_idx))
        if code_idx[name] != deployed_idx[name]
    ]
    return result


def diff_mappings(
    code: Mapping[str, Any] | None, deployed: Mapping[str, Any] | None
) -> MappingDiff:
    """Semantic per-object diff; objects without differences are left out."""
    code_objs, deployed_objs = _by_object(code), _by_object(deployed)
    objects: list[ObjectDiff] = []
    for name in sorted(set(code_objs) | set(deployed_objs)):
        if name not in deployed_objs:
            cfg = code_objs[name]
            objects.append(
                ObjectDiff(
                    name,
                    "added",
                    fields_added=sorted(cfg.get("fields") or {}),
                    indexes_added=sorted(cfg.get("indexes") or {}),
                )
            )
        elif name not in code_objs:
            cfg = deployed_objs[name]
            objects.append(
                ObjectDiff(
                    name,
                    "removed",
                    fields_removed=sorted(cfg.get("fields") or {}),
                    indexes_removed=sorted(cfg.get("indexes") or {}),
                )
            )
        else:
            item = diff_object(name, code_objs[name], deployed_objs[name])
            if not item.is_empty:
                objects.append(item)
    return MappingDiff(objects)


def validate_mapping(
    code: Mapping[str, Any],
    required_fields: Callable[[str], Iterable[str] | None] | None = None,
) -> list[ValidationWarning]:
    """Pre-import warnings for a mapping document.

    ``required_fields(object_name)`` returns the fields the org requires for inserts (from the
    describe endpoint) or None when unknown; it is only called for read-write objects.
    """
    warnings: list[ValidationWarning] = []
    for name, cfg in sorted(_by_object(code).items()):
        fields = set(cfg.get("fields") or {})
        indexes = _index_map(cfg)
        read_write = cfg.get("access") == "read_write"
        if read_write and not cfg.get("upsert_field"):
            warnings.append(
                ValidationWarning(
                    name,
                    "no_upsert_field",
                    "Read-write mapping without an upsert field (a unique External ID).",
                )
            )
        for fname in sorted(fields):
            if "__r__" not in fname:
                continue
            relationship = fname.split("__r__", 1)[0]
            base = f"{relationship}__c"
            candidates = (base, f"{relationship}Id")
            if not any(c in indexes for c in candidates):
                warnings.append(
                    ValidationWarning(
                        name,
                        "unindexed_relationship",
                        f"{fname}: the base lookup {base} is not indexed; the import "
                        "silently drops this field.",
                    )
                )
        if read_write and required_fields is not None:
            required = required_fields(name)
            if required is not None:
                missing = sorted(set(required) - fields)
                if missing:
                    warnings.append(
                        ValidationWarning(
                            name,
                            "required_not_mapped",
                            "Fields needed for insertion to Salesforce need to be mapped: "
                            + ", ".join(missing),
                        )
                    )
    return warnings


def required_fields_from_describe(describe: Mapping[str, Any]) -> list[str]:
    """Fields required on create, from ``GET /connections/{C}/schemas/{Object}``.

    Heroku Connect marks them ``required``; a raw Salesforce describe (``createable``,
    ``nillable``, ``defaultedOnCreate``) is understood too.
    """
    out = []
    for f in describe.get("fields") or []:
        if not isinstance(f, dict) or not f.get("name"):
            continue
        if "required" in f:
            required = bool(f["required"])
        else:
            required = (
                f.get("createable", False)
                and not f.get("nillable", True)
                and not f.get("defaultedOnCreate", False)
            )
        if required:
            out.append(str(f["name"]))
    return sorted(out)


def canonical_json(document: Mapping[str, Any]) -> str:
    """Sorted keys, mappings sorted by object_name, 4-space indent, trailing newline."""
    doc = dict(document)
    doc["mappings"] = sorted(doc.get("mappings") or [], key=lambda m: m["object_name"])
    return json.dumps(doc, indent=4, sort_keys=True) + "\n"


def format_diff(diff: MappingDiff) -> str:
    """Plain-text rendering for the management command."""
    if not diff.has_changes:
        return "No differences: the deployed mapping matches the code.\n"
    lines = []
    for obj in diff.objects:
        lines.append(f"{obj.object_name}: {obj.status}")
        for c in obj.changes:
            lines.append(f"  {c.setting}: {c.before!r} -> {c.after!r}")
        lines += [f"  + field {f}" for f in obj.fields_added]
        lines += [f"  - field {f}" for f in obj.fields_removed]
        lines += [f"  + index {i}" for i in obj.indexes_added]
        lines += [f"  - index {i}" for i in obj.indexes_removed]
        lines += [
            f"  index {c.setting} unique: {c.before} -> {c.after}" for c in obj.uniqueness_changed
        ]
    s = diff.summary()
    lines.append(f"{s['added']} added, {s['removed']} removed, {s['changed']} changed")
    return "\n".join(lines) + "\n"
