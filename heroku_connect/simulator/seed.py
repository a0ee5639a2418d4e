"""The records a simulated org starts with, and plausible values for new ones.

The building blocks are data (``data/seed.json``): the integration user and the record types
every org starts with, and the words records are made of (names, companies, cities, titles,
...). Picklist values come from the org's describes, so seeded records always fit them. The rules
are here:

* :func:`seed_records` fills a new org from its ``random.Random(seed)``: the same seed gives the
  same records, ids and timestamps (before :data:`EPOCH`). Users come first, then objects in an
  order that lets lookups point at records that already exist; one user is inactive (a former
  employee, whose records cannot be reassigned to them) and about one record in twenty of
  Account, Contact and Opportunity is already in the recycle bin, as in any real org.
* :func:`fake_values` makes the values of one new record; the org's users
  (:meth:`~heroku_connect.simulator.org.Org.generate_changes`) and the demo's application
  (:mod:`~heroku_connect.simulator.activity`) use it too.
"""

from __future__ import annotations

import datetime
import re
from random import Random
from typing import Any

from heroku_connect.simulator.data import load_json
from heroku_connect.simulator.store import RecordStore

__all__ = ("EPOCH", "WORDS", "fake_values", "seed_records")

#: Seeded timestamps lie before this instant (UTC, naive like Heroku Connect's columns).
EPOCH = datetime.datetime(2026, 1, 1, 9, 0, 0)

_SEED = load_json("seed.json")
#: Lists of words by kind (``first_names``, ``company_words``, ``cities``, ...).
WORDS: dict[str, list[str]] = _SEED["words"]

#: Objects seeded, in an order in which every lookup can point at an existing record.
_SEEDED_OBJECTS = ("User", "Account", "Contact", "Opportunity", "Project__c", "Case", "Invoice__c")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", text.lower().translate(str.maketrans("éüóáã'", "euoaa ")))


def _person(rng: Random) -> tuple[str, str]:
    return rng.choice(WORDS["first_names"]), rng.choice(WORDS["last_names"])


def _picklist(store: RecordStore, object_name: str, field_name: str, rng: Random) -> str:
    """One of the picklist values of the field (as the org's describe lists them)."""
    return rng.choice(store.schema.describe(object_name).fields[field_name].picklist_values)


def _pick(store: RecordStore, name: str, rng: Random, *, active_only: bool = False) -> str | None:
    """The id of a random live record of ``name`` (only active ones, for users), or None."""
    candidates = sorted(
        sfid
        for sfid, record in store.records[name].items()
        if not record.get("IsDeleted") and (not active_only or record.get("IsActive"))
    )
    return rng.choice(candidates) if candidates else None


def _pick_record_type(store: RecordStore, sobject: str, rng: Random) -> str | None:
    candidates = sorted(
        sfid
        for sfid, record in store.records["RecordType"].items()
        if record.get("SobjectType") == sobject and record.get("IsActive")
    )
    return rng.choice(candidates) if candidates else None


def seed_records(store: RecordStore, rng: Random, per_object: int) -> None:
    """Fill an empty store with the org's first records (see the module docstring).

    Afterwards the change cursor is back at 0: the seeded records are the org's starting point,
    not changes.
    """

    def when() -> datetime.datetime:
        return EPOCH - datetime.timedelta(seconds=rng.randint(3600, 400 * 86400))

    describe = store.schema.describe
    store.integration_user = store.insert(describe("User"), _SEED["integration_user"], when())
    for record_type in _SEED["record_types"]:
        store.insert(describe("RecordType"), record_type, when())
    users = max(3, per_object // 5)
    for name in _SEEDED_OBJECTS:
        count = users if name == "User" else per_object
        for _ in range(count):
            store.insert(describe(name), fake_values(store, name, rng), when())
        if name == "User" and all(u["IsActive"] for u in store.records["User"].values()):
            # Every org has a former employee: owning records by them is refused.
            last = max(store.records["User"])
            store.put("User", last, {**store.records["User"][last], "IsActive": False})
    # A few records already in the recycle bin, as in any real org.
    for name in ("Account", "Contact", "Opportunity"):
        live = sorted(store.records[name])
        for sfid in rng.sample(live, k=min(len(live) // 20, len(live))):
            store.put(name, sfid, {**store.records[name][sfid], "IsDeleted": True})
    store.seq = 0
    for name in store.modseq:
        store.modseq[name] = dict.fromkeys(store.modseq[name], 0)
    for records in store.records.values():
        for record in records.values():
            record["_created_seq"] = 0


def fake_values(store: RecordStore, name: str, rng: Random) -> dict[str, Any]:
    """Plausible values for a new record of ``name`` (references to existing records)."""
    first, last = _person(rng)
    city = rng.choice(WORDS["cities"])
    external = f"{rng.getrandbits(128):032x}"
    owner = _pick(store, "User", rng, active_only=True)
    if name == "User":
        n = store.counters["User"] + 1
        email = f"{_slug(first)}.{_slug(last)}{n}@example.com"
        return {
            "Username": email,
            "FirstName": first,
            "LastName": last,
            "Email": email,
            "Alias": (_slug(first)[:1] + _slug(last))[:8],
            "Title": rng.choice(WORDS["titles"]),
            "Department": rng.choice(WORDS["departments"]),
            "IsActive": rng.random() > 0.15,
        }
    if name == "Account":
        company = f"{rng.choice(WORDS['company_words'])} {rng.choice(WORDS['company_suffixes'])}"
        return {
            "Name": company,
            "AccountNumber": f"AC-{rng.randint(10000, 99999)}",
            "Type": _picklist(store, "Account", "Type", rng),
            "Industry": _picklist(store, "Account", "Industry", rng),
            "Rating": _picklist(store, "Account", "Rating", rng),
            "Phone": f"+1 (415) 555-{rng.randint(0, 9999):04d}",
            "Website": f"https://www.{_slug(company)}.example.com",
            "AnnualRevenue": float(rng.randint(1, 500) * 100_000),
            "NumberOfEmployees": rng.randint(5, 50_000),
            "BillingCity": city,
            "OwnerId": owner,
            "RecordTypeId": _pick_record_type(store, "Account", rng),
            "External_ID__c": external,
        }
    if name == "Contact":
        account = _pick(store, "Account", rng)
        domain = "example.org"
        if account:
            domain = _slug(store.records["Account"][account]["Name"]) + ".example.com"
        return {
            "Salutation": rng.choice(("Mr.", "Ms.", "Dr.", None)),
            "FirstName": first,
            "LastName": last,
            "Title": rng.choice(WORDS["titles"]),
            "Department": rng.choice(WORDS["departments"]),
            "Email": f"{_slug(first)}.{_slug(last)}@{domain}",
            "Phone": f"+1 (212) 555-{rng.randint(0, 9999):04d}",
            "Birthdate": datetime.date(1950, 1, 1) + datetime.timedelta(days=rng.randint(0, 18000)),
            "LeadSource": _picklist(store, "Contact", "LeadSource", rng),
            "MailingCity": city,
            "AccountId": account,
            "OwnerId": owner,
            "External_ID__c": external,
        }
    if name == "Opportunity":
        stage = _picklist(store, "Opportunity", "StageName", rng)
        return {
            "Name": f"{rng.choice(WORDS['company_words'])} - {rng.choice(WORDS['project_words'])}",
            "StageName": stage,
            "CloseDate": EPOCH.date() + datetime.timedelta(days=rng.randint(-200, 200)),
            "Amount": float(rng.randint(1, 400) * 1000),
            "Probability": float(rng.choice((10, 20, 50, 75, 90, 100))),
            "LeadSource": _picklist(store, "Opportunity", "LeadSource", rng),
            "AccountId": _pick(store, "Account", rng),
            "OwnerId": owner,
            "External_ID__c": external,
        }
    if name == "Case":
        status = _picklist(store, "Case", "Status", rng)
        return {
            "Subject": rng.choice(WORDS["case_subjects"]),
            "Status": status,
            "Priority": "High" if status == "Escalated" else rng.choice(("Medium", "Low")),
            "Origin": _picklist(store, "Case", "Origin", rng),
            "ContactId": _pick(store, "Contact", rng),
            "AccountId": _pick(store, "Account", rng),
            "OwnerId": owner,
        }
    if name == "Project__c":
        status = _picklist(store, "Project__c", "Status__c", rng)
        return {
            "Name": f"{rng.choice(WORDS['company_words'])} {rng.choice(WORDS['project_words'])}",
            "Status__c": status,
            "Budget__c": float(rng.randint(5, 500) * 1000),
            "Start_Date__c": EPOCH.date() + datetime.timedelta(days=rng.randint(-300, 60)),
            "Account__c": _pick(store, "Account", rng),
            "Description__c": f"{rng.choice(WORDS['project_words'])} for the {city} office.",
            "Completion__c": float(rng.randint(0, 100)),
            "OwnerId": owner,
            "External_ID__c": external,
        }
    if name == "Invoice__c":
        paid = rng.random() < 0.4
        return {
            "Project__c": _pick(store, "Project__c", rng),
            "Amount__c": float(rng.randint(100, 50_000)),
            "Status__c": "Paid" if paid else rng.choice(("Draft", "Sent", "Overdue")),
            "Paid__c": paid,
            "Due_Date__c": EPOCH.date() + datetime.timedelta(days=rng.randint(-60, 60)),
            "Billing_Email__c": f"billing@{_slug(rng.choice(WORDS['company_words']))}.example.com",
            "OwnerId": owner,
            "External_ID__c": external,
        }
    if name == "RecordType":
        word = rng.choice(WORDS["project_words"])
        return {
            "Name": word,
            "DeveloperName": word,
            "SobjectType": "Account",
            "IsActive": True,
        }
    return {}
