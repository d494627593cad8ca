"""A deterministic, realistic demo portfolio: three medical portfolios with 18 months of history.

``generate_demo`` is pure (no database): the same seed, number of accounts and as-of date give the
same rows, byte for byte. ``load_demo`` writes those rows with bulk Core inserts, in the caller's
transaction. ``build_demo`` does both and rebuilds the account summaries in one transaction; with
``days`` (``arrears demo`` uses 120) it writes only the history up to ``as_of - days``, applies a strategy
(``examples/strategy.yaml``) and then, day by day, writes that day's postings and runs the engine on it,
so the demo ends with collections cases, worklists, letters and fees as a live system would have them.

What is generated, per account (one guarantor each):

* a guarantor with a realistic name, a US address whose state fixes the IANA time zone, phones
  (fictional 555-01xx numbers) with types, an ``example.*`` e-mail, and a few contact flags at low rates;
* encounters over up to 18 months ending at ``as_of``: office visits ($90–$250), procedures
  ($400–$4,000) and labs ($20–$150) from a fee schedule per portfolio, each charge due 30 days after service;
* for insured guarantors one claim per encounter: paid (insurance payment plus contractual adjustment),
  denied, partly paid and still open, unanswered, or not yet adjudicated;
* guarantor payments by behaviour (prompt, late, partial, never, or a monthly payment plan that is kept or
  broken), and a few NSF reversals of check/ACH payments, some of them paid again.

Guarantors only ever pay what is theirs to pay (what insurance left them), so no account is ever in credit.
"""

from __future__ import annotations

import random
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

from faker import Faker

from arrears.domain.calendar import add_months
from arrears.domain.errors import Problem, ValidationFailed
from arrears.domain.ledger import Frequency, Kind, Source
from arrears.domain.model import ENTERPRISE, ClaimStatus, Mode, PhoneType
from arrears.domain.strategy import OPERATOR_KINDS, Strategy
from arrears.services.config import apply_document
from arrears.services.run import run_day
from arrears.services.stored_strategy import load_strategy
from arrears.services.worklist import assignees_for, worklist
from arrears.store import summaries
from arrears.store.activities import created_by_runs, open_work_due_by
from arrears.store.db import Connection, Database
from arrears.store.loading import (
    TABLES,
    add_portfolio,
    highest_id,
    insert_rows,
    move_sequences,
    portfolio_id_by_code,
    set_columns,
)

Progress = Callable[[str, int, int], None]
"""Called as ``progress(stage, done, total)``; stages are ``generate``, ``load``, ``summarize`` and (with
days to run) ``run``, whose ``done`` and ``total`` count days."""

HISTORY_MONTHS = 18
DUE_DAYS = 30


class Behaviour(StrEnum):
    """How a guarantor pays what insurance leaves them."""

    PROMPT = "prompt"
    """Pays in full before the due date (or within days of the insurance payment when that comes later)."""
    LATE = "late"
    """Pays in full 20–80 days after the due date."""
    PARTIAL = "partial"
    """Pays part of each bill, in one to three payments."""
    NEVER = "never"
    """Never pays."""
    PLAN_KEPT = "plan_kept"
    """Self-pay; agrees a monthly payment plan and keeps it."""
    PLAN_BROKEN = "plan_broken"
    """Self-pay; agrees a monthly payment plan, pays some installments, then stops (delinquent)."""


BEHAVIOUR_WEIGHTS: tuple[tuple[Behaviour, int], ...] = (
    (Behaviour.PROMPT, 38),
    (Behaviour.LATE, 26),
    (Behaviour.PARTIAL, 14),
    (Behaviour.NEVER, 12),
    (Behaviour.PLAN_KEPT, 6),
    (Behaviour.PLAN_BROKEN, 4),
)

STATE_TIME_ZONES: dict[str, str] = {
    **dict.fromkeys(
        ("NY", "PA", "MA", "CT", "RI", "NJ", "MD", "DC", "VA", "NC", "SC", "GA", "FL", "OH", "ME", "VT", "NH",
         "DE", "WV"),
        "America/New_York",
    ),
    **dict.fromkeys(
        ("IL", "TX", "TN", "LA", "MN", "WI", "MO", "OK", "NE", "IA", "AL", "MS", "AR"), "America/Chicago"
    ),
    **dict.fromkeys(("CO", "NM", "UT", "MT", "WY"), "America/Denver"),
    "AZ": "America/Phoenix",
    **dict.fromkeys(("CA", "WA", "OR", "NV"), "America/Los_Angeles"),
    "AK": "America/Anchorage",
    "HI": "Pacific/Honolulu",
}
"""The IANA zone of each state the demo uses (states split across zones, or with zones of their own
such as America/Detroit or America/Boise, are left out so the state alone decides the zone)."""

# (city, state, ZIP code, area code)
CITIES: tuple[tuple[str, str, str, str], ...] = (
    ("New York", "NY", "10025", "212"), ("Brooklyn", "NY", "11215", "718"), ("Buffalo", "NY", "14214", "716"),
    ("Philadelphia", "PA", "19103", "215"), ("Pittsburgh", "PA", "15213", "412"), ("Boston", "MA", "02130", "617"),
    ("Worcester", "MA", "01609", "508"), ("Hartford", "CT", "06106", "860"), ("Providence", "RI", "02906", "401"),
    ("Newark", "NJ", "07102", "973"), ("Baltimore", "MD", "21218", "410"), ("Washington", "DC", "20009", "202"),
    ("Richmond", "VA", "23220", "804"), ("Charlotte", "NC", "28205", "704"), ("Raleigh", "NC", "27601", "919"),
    ("Charleston", "SC", "29401", "843"), ("Atlanta", "GA", "30306", "404"), ("Savannah", "GA", "31401", "912"),
    ("Jacksonville", "FL", "32207", "904"), ("Orlando", "FL", "32803", "407"), ("Miami", "FL", "33130", "305"),
    ("Tampa", "FL", "33606", "813"), ("Columbus", "OH", "43215", "614"), ("Cleveland", "OH", "44113", "216"),
    ("Portland", "ME", "04101", "207"), ("Burlington", "VT", "05401", "802"), ("Manchester", "NH", "03101", "603"),
    ("Wilmington", "DE", "19801", "302"), ("Charleston", "WV", "25301", "304"),
    ("Chicago", "IL", "60614", "773"), ("Houston", "TX", "77006", "713"), ("Dallas", "TX", "75204", "214"),
    ("San Antonio", "TX", "78212", "210"), ("Austin", "TX", "78704", "512"), ("Memphis", "TN", "38104", "901"),
    ("Nashville", "TN", "37203", "615"), ("New Orleans", "LA", "70115", "504"),
    ("Minneapolis", "MN", "55408", "612"), ("Milwaukee", "WI", "53202", "414"), ("St. Louis", "MO", "63110", "314"),
    ("Kansas City", "MO", "64111", "816"), ("Oklahoma City", "OK", "73103", "405"), ("Omaha", "NE", "68102", "402"),
    ("Des Moines", "IA", "50309", "515"), ("Birmingham", "AL", "35205", "205"), ("Jackson", "MS", "39201", "601"),
    ("Little Rock", "AR", "72201", "501"),
    ("Denver", "CO", "80203", "303"), ("Colorado Springs", "CO", "80903", "719"),
    ("Albuquerque", "NM", "87102", "505"), ("Salt Lake City", "UT", "84102", "801"),
    ("Billings", "MT", "59101", "406"), ("Cheyenne", "WY", "82001", "307"),
    ("Phoenix", "AZ", "85004", "602"), ("Tucson", "AZ", "85719", "520"), ("Mesa", "AZ", "85201", "480"),
    ("Los Angeles", "CA", "90026", "213"), ("San Diego", "CA", "92104", "619"),
    ("San Francisco", "CA", "94110", "415"), ("Sacramento", "CA", "95816", "916"), ("Fresno", "CA", "93721", "559"),
    ("Seattle", "WA", "98103", "206"), ("Spokane", "WA", "99201", "509"), ("Portland", "OR", "97214", "503"),
    ("Las Vegas", "NV", "89101", "702"), ("Reno", "NV", "89501", "775"),
    ("Anchorage", "AK", "99501", "907"), ("Fairbanks", "AK", "99701", "907"), ("Juneau", "AK", "99801", "907"),
    ("Honolulu", "HI", "96813", "808"), ("Hilo", "HI", "96720", "808"), ("Kahului", "HI", "96732", "808"),
)

ZONE_WEIGHTS: tuple[tuple[str, int], ...] = (
    ("America/New_York", 44),
    ("America/Chicago", 27),
    ("America/Denver", 6),
    ("America/Phoenix", 5),
    ("America/Los_Angeles", 14),
    ("America/Anchorage", 2),
    ("Pacific/Honolulu", 2),
)
CITIES_BY_ZONE: dict[str, tuple[tuple[str, str, str, str], ...]] = {
    zone: tuple(c for c in CITIES if STATE_TIME_ZONES[c[1]] == zone) for zone, _ in ZONE_WEIGHTS
}


class Category(StrEnum):
    """What a charge is for; each has the price range of the demo."""

    VISIT = "visit"
    PROCEDURE = "procedure"
    LAB = "lab"


@dataclass(frozen=True, slots=True)
class Service:
    """A billable service: code, description and the range its price is drawn from (whole dollars)."""

    code: str
    description: str
    category: Category
    low: int
    high: int


SERVICES: dict[str, Service] = {
    s.code: s
    for s in (
        Service("99202", "New patient office visit, straightforward", Category.VISIT, 90, 130),
        Service("99203", "New patient office visit, low complexity", Category.VISIT, 130, 180),
        Service("99204", "New patient office visit, moderate complexity", Category.VISIT, 190, 250),
        Service("99212", "Office visit, established patient, straightforward", Category.VISIT, 90, 115),
        Service("99213", "Office visit, established patient, low complexity", Category.VISIT, 120, 160),
        Service("99214", "Office visit, established patient, moderate complexity", Category.VISIT, 170, 230),
        Service("99395", "Preventive visit, established patient, 18-39", Category.VISIT, 180, 250),
        Service("G0463", "Hospital outpatient clinic visit", Category.VISIT, 150, 250),
        Service("36415", "Venipuncture", Category.LAB, 20, 30),
        Service("85025", "Complete blood count (CBC)", Category.LAB, 30, 55),
        Service("80053", "Comprehensive metabolic panel", Category.LAB, 45, 90),
        Service("80061", "Lipid panel", Category.LAB, 45, 95),
        Service("83036", "Hemoglobin A1c", Category.LAB, 35, 70),
        Service("81001", "Urinalysis", Category.LAB, 20, 40),
        Service("84443", "Thyroid stimulating hormone (TSH)", Category.LAB, 60, 120),
        Service("87880", "Rapid strep test", Category.LAB, 30, 60),
        Service("82306", "Vitamin D, 25-hydroxy", Category.LAB, 90, 150),
        Service("11402", "Excision, benign lesion, trunk/arms/legs", Category.PROCEDURE, 400, 650),
        Service("12032", "Intermediate repair of wound", Category.PROCEDURE, 450, 800),
        Service("20610", "Arthrocentesis/injection, major joint", Category.PROCEDURE, 400, 650),
        Service("20550", "Injection, tendon sheath", Category.PROCEDURE, 400, 550),
        Service("25600", "Closed treatment, distal radius fracture", Category.PROCEDURE, 900, 1500),
        Service("29881", "Knee arthroscopy with meniscectomy", Category.PROCEDURE, 2800, 4000),
        Service("29826", "Shoulder arthroscopy, decompression", Category.PROCEDURE, 3000, 4000),
        Service("64483", "Transforaminal epidural injection, lumbar", Category.PROCEDURE, 900, 1600),
        Service("73721", "MRI, knee, without contrast", Category.PROCEDURE, 1200, 2400),
        Service("72148", "MRI, lumbar spine, without contrast", Category.PROCEDURE, 1400, 2800),
        Service("70553", "MRI, brain, with and without contrast", Category.PROCEDURE, 1800, 3600),
        Service("71250", "CT, chest, without contrast", Category.PROCEDURE, 900, 1800),
        Service("74177", "CT, abdomen and pelvis, with contrast", Category.PROCEDURE, 1500, 3200),
        Service("45378", "Colonoscopy, diagnostic", Category.PROCEDURE, 1200, 2800),
        Service("43239", "Upper GI endoscopy with biopsy", Category.PROCEDURE, 1100, 2400),
        Service("93306", "Echocardiogram, complete", Category.PROCEDURE, 900, 1900),
        Service("76700", "Ultrasound, abdomen, complete", Category.PROCEDURE, 400, 750),
    )
}


@dataclass(frozen=True, slots=True)
class DemoPortfolio:
    """A demo portfolio and what its encounters look like."""

    code: str
    name: str
    prefix: str
    weight: int
    insured: float
    encounters: tuple[int, int]
    gap_days: tuple[int, int]
    visit: float
    visits: tuple[tuple[str, int], ...]
    procedure: float
    procedures: tuple[tuple[str, int], ...]
    lab: float
    labs: tuple[str, ...]


LABS = ("85025", "80053", "80061", "83036", "81001", "84443", "87880", "82306")

DEMO_PORTFOLIOS: tuple[DemoPortfolio, ...] = (
    DemoPortfolio(
        "FAMILY", "Maple Grove Family Practice", "FAM", 45, 0.86, (1, 6), (21, 120),
        visit=1.0,
        visits=(("99213", 50), ("99214", 22), ("99212", 8), ("99203", 6), ("99202", 4), ("99395", 10)),
        procedure=0.06, procedures=(("11402", 1), ("12032", 1)),
        lab=0.45, labs=LABS,
    ),
    DemoPortfolio(
        "ORTHO", "Summit Orthopedic Group", "ORT", 25, 0.9, (1, 4), (14, 90),
        visit=1.0,
        visits=(("99213", 40), ("99214", 30), ("99203", 12), ("99204", 18)),
        procedure=0.45,
        procedures=(("20610", 30), ("20550", 12), ("73721", 15), ("72148", 10), ("64483", 10), ("29881", 8),
                    ("29826", 5), ("25600", 10)),
        lab=0.04, labs=("85025", "80053"),
    ),
    DemoPortfolio(
        "OUTPT", "Riverside Hospital Outpatient Division", "OPD", 30, 0.9, (1, 3), (30, 150),
        visit=0.3, visits=(("G0463", 1),),
        procedure=0.7,
        procedures=(("71250", 15), ("74177", 15), ("45378", 18), ("43239", 12), ("93306", 15), ("70553", 8),
                    ("76700", 17)),
        lab=0.5, labs=LABS,
    ),
)
DEMO_CODES = tuple(p.code for p in DEMO_PORTFOLIOS)


@dataclass(frozen=True, slots=True)
class Payer:
    """An insurance payer: what it allows, what the patient keeps, how long it takes, how often it denies."""

    name: str
    weight: int
    allowed: tuple[int, int]
    coinsurance: tuple[int, int]
    deductible: float
    days: tuple[int, int]
    denial: float


PAYERS: tuple[Payer, ...] = (
    Payer("UnitedHealthcare", 22, (55, 80), (10, 30), 0.25, (14, 40), 0.08),
    Payer("BlueCross BlueShield", 22, (55, 80), (10, 25), 0.25, (12, 35), 0.06),
    Payer("Aetna", 14, (55, 80), (10, 30), 0.25, (14, 40), 0.07),
    Payer("Cigna", 10, (55, 80), (10, 30), 0.25, (14, 45), 0.08),
    Payer("Humana", 6, (50, 75), (10, 25), 0.2, (14, 45), 0.07),
    Payer("Medicare", 18, (40, 55), (20, 20), 0.1, (14, 30), 0.04),
    Payer("Medicaid", 8, (30, 45), (0, 5), 0.0, (20, 60), 0.09),
)

FLAG_RATES = {
    "deceased": 0.004,
    "bankruptcy": 0.008,
    "attorney_represented": 0.006,
    "cease_communication": 0.007,
    "dispute": 0.015,
    "do_not_call": 0.03,
}

PAY_METHODS: tuple[tuple[str, int], ...] = (("card", 50), ("online", 20), ("check", 18), ("ach", 12))
NSF_RATE = 0.06
"""Share of check and ACH payments returned unpaid."""


@dataclass(slots=True)
class DemoData:
    """Rows of a generated demo, with local ids from 1; ``load_demo`` shifts them past what the database has."""

    as_of: date
    seed: int
    parties: list[dict[str, Any]] = field(default_factory=list)
    phones: list[dict[str, Any]] = field(default_factory=list)
    accounts: list[dict[str, Any]] = field(default_factory=list)
    """``portfolio_id`` holds the index of the portfolio in :data:`DEMO_PORTFOLIOS`."""
    ledger: list[dict[str, Any]] = field(default_factory=list)
    claims: list[dict[str, Any]] = field(default_factory=list)
    plans: list[dict[str, Any]] = field(default_factory=list)
    behaviour_of: dict[str, Behaviour] = field(default_factory=dict)
    """Account external id → how its guarantor pays (not stored: later simulations may use it)."""
    claims_decided: dict[int, date] = field(default_factory=dict)
    """Local claim id → the day the payer decided it (paid, partly paid or denied); before, it was open
    with nothing paid. Claims without an answer are not here."""
    plans_ended: dict[int, date] = field(default_factory=dict)
    """Local plan id → the day its last installment was paid (its row is then inactive)."""


@dataclass(frozen=True, slots=True)
class DemoResult:
    """What ``build_demo`` made."""

    as_of: date
    seed: int
    portfolios: tuple[str, ...]
    accounts: int
    parties: int
    phones: int
    ledger_lines: int
    claims: int
    plans: int
    behaviours: dict[str, int]
    time_zones: dict[str, int]
    behaviour_of: dict[str, Behaviour]
    seconds: dict[str, float]
    """Wall-clock seconds of ``generate``, ``load``, ``summarize``, ``run`` (with days) and ``total``."""
    days: int = 0
    """How many days the engine ran, ending at ``as_of`` (0: none)."""
    collections: CollectionsSummary | None = None
    """What those runs did (None without days)."""


def _weighted(rng: random.Random, choices: Sequence[tuple[Any, int]]) -> Any:
    total = sum(weight for _, weight in choices)
    pick = rng.random() * total
    for value, weight in choices:
        pick -= weight
        if pick < 0:
            return value
    return choices[-1][0]


def _ceil_to(cents: int, step: int) -> int:
    return -(-cents // step) * step


STREET_NAMES = (
    "Main", "Oak", "Maple", "Cedar", "Pine", "Elm", "Washington", "Lake", "Hill", "Park", "Lincoln", "Jefferson",
    "Franklin", "Highland", "Sunset", "Ridge", "Church", "Walnut", "Spring", "Mill", "River", "Jackson", "Madison",
    "Adams", "Chestnut", "Willow", "Meadow", "Forest", "Valley", "Cherry", "Lakeview", "Hickory", "Birch", "Dogwood",
    "Magnolia", "Sycamore", "Center", "Union", "Market", "Broad", "High", "School", "College", "Prospect", "Grant",
    "Green", "Woodland", "Fairview", "Locust", "Poplar", "Laurel", "Aspen", "Mountain View", "Orchard", "Summit",
    "Cypress", "Palm", "Mesa", "Canyon", "Harbor", "Bay", "Kings", "Elmwood", "Riverside", "Lee", "Monroe",
    "2nd", "3rd", "4th", "5th", "6th", "7th", "8th", "10th", "12th", "14th",
)
STREET_SUFFIXES: tuple[tuple[str, int], ...] = (
    ("St", 30), ("Ave", 22), ("Rd", 14), ("Dr", 12), ("Ln", 7), ("Ct", 5), ("Blvd", 4), ("Way", 3), ("Pl", 3),
)


class _Names:
    """First and last names drawn, with their US frequencies, from the seeded Faker's en_US name lists."""

    def __init__(self, fake: Faker) -> None:
        provider = next(p for p in fake.providers if hasattr(p, "first_names_female") and hasattr(p, "last_names"))
        self.random = fake.random
        self.lists = []
        for names in (provider.first_names_female, provider.first_names_male, provider.last_names):
            population = list(names)
            cumulative, running = [], 0.0
            for name in population:
                running += names[name]
                cumulative.append(running)
            self.lists.append((population, cumulative))

    def _pick(self, which: int) -> str:
        population, cumulative = self.lists[which]
        name: str = self.random.choices(population, cum_weights=cumulative)[0]
        return name

    def first(self) -> str:
        return self._pick(0 if self.random.random() < 0.5 else 1)

    def last(self) -> str:
        return self._pick(2)


class _Line:
    """A ledger line while an account is being generated; ids are given once its ledger is sorted."""

    __slots__ = ("amount", "description", "due", "id", "kind", "order", "posted", "reverses", "service", "source")

    def __init__(
        self,
        order: int,
        kind: Kind,
        amount: int,
        posted: date,
        description: str,
        *,
        due: date | None = None,
        service: date | None = None,
        source: Source | None = None,
        reverses: _Line | None = None,
    ) -> None:
        self.order, self.kind, self.amount, self.posted, self.description = order, kind, amount, posted, description
        self.due, self.service, self.source, self.reverses = due, service, source, reverses
        self.id = 0


@dataclass(slots=True)
class _Encounter:
    service: date
    posted: date
    due: date
    total: int
    patient_cents: int = 0
    """What the guarantor owes for this encounter once insurance has decided (0 while it has not)."""
    known_on: date | None = None
    """When the guarantor learned ``patient_cents``: the posting (self-pay) or the insurance decision."""


class _Generator:
    def __init__(self, accounts: int, seed: int, as_of: date) -> None:
        self.count, self.seed, self.as_of = accounts, seed, as_of
        self.rng = random.Random(seed)
        fake = Faker("en_US")
        fake.seed_instance(seed)
        self.names = _Names(fake)
        self.start = add_months(as_of, -HISTORY_MONTHS)
        self.data = DemoData(as_of=as_of, seed=seed)
        self.fees = [
            {code: self.rng.randint(s.low, s.high) * 100 for code, s in SERVICES.items()} for _ in DEMO_PORTFOLIOS
        ]
        self.check_number = 1000 + self.rng.randint(0, 8000)

    def street(self) -> str:
        rng = self.rng
        number = rng.randint(100, 9999) if rng.random() < 0.8 else rng.randint(10000, 39999)
        name = rng.choice(STREET_NAMES)
        if name[0].isdigit() or rng.random() < 0.15:
            suffix = rng.choice(("St", "Ave")) if name[0].isdigit() else _weighted(rng, STREET_SUFFIXES)
            return f"{number} {rng.choice(('', '', 'N ', 'S ', 'E ', 'W '))}{name} {suffix}"
        return f"{number} {name} {_weighted(rng, STREET_SUFFIXES)}"

    def unit(self) -> str:
        rng = self.rng
        if rng.random() < 0.6:
            return f"Apt {rng.randint(1, 24)}{rng.choice('ABCDEF')}"
        return f"{rng.choice(('Unit', 'Apt', '#', 'Suite'))} {rng.randint(1, 40) * 10 + rng.randint(0, 9)}"

    def day_between(self, first: date, last: date) -> date:
        if last <= first:
            return first
        return first + timedelta(days=self.rng.randint(0, (last - first).days))

    def run(self, progress: Progress | None) -> DemoData:
        for index in range(self.count):
            self.account(index)
            if progress and ((index + 1) % 250 == 0 or index + 1 == self.count):
                progress("generate", index + 1, self.count)
        return self.data

    # --- the guarantor -------------------------------------------------------------------------------

    def party(self, index: int, opened: date) -> dict[str, Any]:
        rng = self.rng
        zone = ZONE_WEIGHTS[index][0] if index < len(ZONE_WEIGHTS) else _weighted(rng, ZONE_WEIGHTS)
        city, state, postal_code, area = rng.choice(CITIES_BY_ZONE[zone])
        first, last = self.names.first(), self.names.last()
        party_id = len(self.data.parties) + 1
        email = ""
        if rng.random() < 0.75:
            handle = "".join(ch for ch in f"{first}.{last}".lower() if ch.isalnum() or ch == ".")
            number = rng.randint(1, 99) if rng.random() < 0.6 else ""
            email = f"{handle}{number}@example.{rng.choice(('com', 'net', 'org'))}"
        kinds = [
            kind
            for kind, share in ((PhoneType.MOBILE, 0.85), (PhoneType.HOME, 0.4), (PhoneType.WORK, 0.15))
            if rng.random() < share
        ]
        if not kinds and rng.random() < 0.8:
            kinds = [PhoneType.HOME]
        for kind in kinds:
            self.data.phones.append(
                {
                    "id": len(self.data.phones) + 1,
                    "party_id": party_id,
                    "number": f"({area}) 555-01{rng.randint(0, 99):02d}",
                    "type": kind.value,
                }
            )
        flags = {name: rng.random() < rate for name, rate in FLAG_RATES.items()}
        dispute_date = None
        if flags.pop("dispute"):
            dispute_date = self.day_between(max(opened + timedelta(days=DUE_DAYS), self.as_of - timedelta(days=180)),
                                            self.as_of)
        row = {
            "id": party_id,
            "first_name": first,
            "last_name": last,
            "address1": self.street(),
            "address2": self.unit() if rng.random() < 0.12 else "",
            "city": city,
            "state": state,
            "postal_code": postal_code,
            "email": email,
            "time_zone": zone,
            "dispute_date": min(dispute_date, self.as_of) if dispute_date else None,
            **flags,
        }
        self.data.parties.append(row)
        return row

    # --- the account ---------------------------------------------------------------------------------

    def account(self, index: int) -> None:
        rng, as_of = self.rng, self.as_of
        which = _weighted(rng, [(i, p.weight) for i, p in enumerate(DEMO_PORTFOLIOS)])
        portfolio = DEMO_PORTFOLIOS[which]
        behaviour: Behaviour = (
            BEHAVIOUR_WEIGHTS[index][0] if index < len(BEHAVIOUR_WEIGHTS) else _weighted(rng, BEHAVIOUR_WEIGHTS)
        )
        on_plan = behaviour in (Behaviour.PLAN_KEPT, Behaviour.PLAN_BROKEN)
        latest_open = as_of - timedelta(days=270 if on_plan else 3)
        opened = self.day_between(self.start, latest_open)
        party = self.party(index, opened)
        account_id = len(self.data.accounts) + 1
        external_id = f"{portfolio.prefix}-{100000 + account_id}"
        self.data.accounts.append(
            {
                "id": account_id,
                "external_id": external_id,
                "portfolio_id": which,
                "guarantor_id": party["id"],
                "mode": Mode.ACTIVE.value,
                "status_code": "",
                "opened_date": opened,
                "closed_date": None,
            }
        )
        self.data.behaviour_of[external_id] = behaviour

        lines: list[_Line] = []
        order = iter(range(1_000_000))

        def add(kind: Kind, amount: int, posted: date, description: str, **extra: Any) -> _Line:
            line = _Line(next(order), kind, amount, posted, description, **extra)
            lines.append(line)
            return line

        encounters = self.encounters(which, portfolio, opened, on_plan, add)
        insured = not on_plan and rng.random() < portfolio.insured
        payer = _weighted(rng, [(p, p.weight) for p in PAYERS]) if insured else None
        for encounter in encounters:
            if payer is None:
                encounter.patient_cents, encounter.known_on = encounter.total, encounter.posted
            else:
                self.claim(account_id, payer, encounter, add)
        if on_plan:
            self.plan(account_id, behaviour, encounters, add)
        else:
            self.guarantor_payments(behaviour, encounters, add)

        lines.sort(key=lambda line: (line.posted, line.order))
        first_id = len(self.data.ledger) + 1
        for offset, line in enumerate(lines):
            line.id = first_id + offset
        for line in lines:
            self.data.ledger.append(
                {
                    "id": line.id,
                    "account_id": account_id,
                    "external_id": None,
                    "kind": line.kind.value,
                    "amount_cents": line.amount,
                    "posted_date": line.posted,
                    "due_date": line.due,
                    "service_date": line.service,
                    "source": line.source.value if line.source else None,
                    "reverses_id": line.reverses.id if line.reverses else None,
                    "description": line.description,
                }
            )

    def encounters(
        self, which: int, portfolio: DemoPortfolio, opened: date, on_plan: bool, add: Callable[..., _Line]
    ) -> list[_Encounter]:
        rng, as_of = self.rng, self.as_of
        fees = self.fees[which]
        encounters: list[_Encounter] = []
        service = opened
        last_service = opened + timedelta(days=60) if on_plan else as_of
        for number in range(rng.randint(*portfolio.encounters)):
            if number:
                service = service + timedelta(days=rng.randint(*portfolio.gap_days))
            if service > last_service:
                break
            codes: list[str] = []
            if rng.random() < portfolio.visit:
                codes.append(_weighted(rng, portfolio.visits))
            if rng.random() < portfolio.procedure:
                codes.append(_weighted(rng, portfolio.procedures))
            if rng.random() < portfolio.lab or not codes:
                codes.append("36415")
                codes.extend(sorted(rng.sample(portfolio.labs, rng.randint(1, min(3, len(portfolio.labs))))))
            posted = min(service + timedelta(days=rng.choice((0, 0, 0, 1, 1, 2, 3))), as_of)
            due = service + timedelta(days=DUE_DAYS)
            total = 0
            for code in codes:
                amount = fees[code]
                total += amount
                add(Kind.CHARGE, amount, posted, f"{code} {SERVICES[code].description}", due=due, service=service)
            encounters.append(_Encounter(service, posted, due, total))
        return encounters

    # --- insurance -----------------------------------------------------------------------------------

    def claim(self, account_id: int, payer: Payer, encounter: _Encounter, add: Callable[..., _Line]) -> None:
        rng, as_of = self.rng, self.as_of
        billed = encounter.posted + timedelta(days=rng.randint(1, 5))
        if billed > as_of:
            return  # not billed yet: the guarantor waits for the insurance
        decided = billed + timedelta(days=rng.randint(*payer.days))
        claim_id = len(self.data.claims) + 1
        row = {
            "id": claim_id,
            "external_id": f"CLM-{billed:%y%m}-{claim_id:07d}",
            "account_id": account_id,
            "payer": payer.name,
            "billed_date": billed,
            "amount_cents": encounter.total,
            "paid_cents": 0,
            "status": ClaimStatus.OPEN.value,
        }
        self.data.claims.append(row)
        if decided > as_of:
            return  # still in adjudication
        outcome = rng.random()
        if outcome < payer.denial:
            self.data.claims_decided[claim_id] = decided
            row["status"] = ClaimStatus.DENIED.value
            encounter.patient_cents, encounter.known_on = encounter.total, decided
            return
        if outcome < payer.denial + 0.07:
            return  # no answer from the payer: an old open claim for insurance follow-up
        allowed = encounter.total * rng.randint(*payer.allowed) // 100
        patient = allowed * rng.randint(*payer.coinsurance) // 100
        if rng.random() < payer.deductible:
            patient = min(allowed, patient + rng.randint(50, 500) * 100)
        insurance = allowed - patient
        if outcome < payer.denial + 0.11 and insurance > 100:
            # Partly paid: some lines paid, the rest pending review; the claim stays open.
            partial = insurance * rng.randint(30, 70) // 100
            add(Kind.PAYMENT, partial, decided, f"Insurance payment - {payer.name} (partial)", source=Source.INSURANCE)
            self.data.claims_decided[claim_id] = decided
            row["paid_cents"] = partial
            return
        if insurance > 0:
            add(Kind.PAYMENT, insurance, decided, f"Insurance payment - {payer.name}", source=Source.INSURANCE)
        if encounter.total > allowed:
            add(Kind.ADJUSTMENT, -(encounter.total - allowed), decided, f"Contractual adjustment - {payer.name}")
        self.data.claims_decided[claim_id] = decided
        row["paid_cents"], row["status"] = insurance, ClaimStatus.PAID.value
        encounter.patient_cents, encounter.known_on = patient, decided

    # --- the guarantor's payments --------------------------------------------------------------------

    def pay(self, amount: int, on: date, add: Callable[..., _Line], nsf: bool = True) -> None:
        rng = self.rng
        method = _weighted(rng, PAY_METHODS)
        if method == "check":
            self.check_number += 1
            label = f"Patient payment - check #{self.check_number}"
        else:
            label = {"card": "Patient payment - card", "online": "Patient payment - online portal",
                     "ach": "Patient payment - ACH"}[method]
        payment = add(Kind.PAYMENT, amount, on, label, source=Source.GUARANTOR)
        if not nsf or method not in ("check", "ach") or rng.random() >= NSF_RATE:
            return
        returned = on + timedelta(days=rng.randint(3, 9))
        if returned > self.as_of:
            return
        add(Kind.REVERSAL, amount, returned, f"NSF - returned {method}: {label.removeprefix('Patient payment - ')}",
            reverses=payment)
        again = returned + timedelta(days=rng.randint(5, 30))
        if rng.random() < 0.6 and again <= self.as_of:
            add(Kind.PAYMENT, amount, again, "Patient payment - card (replaces returned payment)",
                source=Source.GUARANTOR)

    def guarantor_payments(self, behaviour: Behaviour, encounters: list[_Encounter], add: Callable[..., _Line]) -> None:
        rng, as_of = self.rng, self.as_of
        if behaviour is Behaviour.NEVER:
            return
        for encounter in encounters:
            owed, known = encounter.patient_cents, encounter.known_on
            if owed <= 0 or known is None:
                continue
            if behaviour is Behaviour.PROMPT:
                earliest = known + timedelta(days=1) if known > encounter.posted else known
                if earliest < encounter.due - timedelta(days=1):
                    on = self.day_between(earliest, encounter.due - timedelta(days=1))
                else:
                    on = earliest + timedelta(days=rng.randint(0, 10))
                if on <= as_of:
                    self.pay(owed, on, add)
            elif behaviour is Behaviour.LATE:
                on = max(encounter.due, known + timedelta(days=1)) + timedelta(days=rng.randint(20, 80))
                if on <= as_of:
                    self.pay(owed, on, add)
            else:  # partial
                on = max(encounter.due, known + timedelta(days=1)) + timedelta(days=rng.randint(0, 40))
                for _ in range(rng.randint(1, 3)):
                    amount = owed * rng.randint(15, 50) // 100
                    if on > as_of or amount < 500:
                        break
                    self.pay(amount, on, add)
                    owed -= amount
                    on += timedelta(days=rng.randint(25, 60))

    def plan(
        self, account_id: int, behaviour: Behaviour, encounters: list[_Encounter], add: Callable[..., _Line]
    ) -> None:
        rng, as_of = self.rng, self.as_of
        balance = sum(e.patient_cents for e in encounters)
        start = max(e.due for e in encounters) + timedelta(days=rng.randint(15, 60))
        months = rng.choice((6, 9, 12, 12, 18, 24))
        installment = max(2500, _ceil_to(balance // months, 500))
        first_due = start + timedelta(days=rng.randint(10, 25))
        grace = rng.choice((5, 10, 15))
        plan_id = len(self.data.plans) + 1
        row = {
            "id": plan_id,
            "external_id": f"PLN-{plan_id:07d}",
            "account_id": account_id,
            "installment_cents": installment,
            "frequency": Frequency.MONTHLY.value,
            "first_due_date": first_due,
            "grace_days": grace,
            "start_date": start,
            "installments": None,
            "active": True,
        }
        self.data.plans.append(row)
        remaining = balance
        if behaviour is Behaviour.PLAN_KEPT:
            number = 0
            while remaining > 0:
                due = add_months(first_due, number)
                on = due + timedelta(days=rng.randint(-3, min(3, grace - 1)))
                if on > as_of:
                    break
                amount = min(installment, remaining)
                self.pay(amount, on, add, nsf=False)
                remaining -= amount
                number += 1
                if remaining <= 0:
                    self.data.plans_ended[plan_id] = on
            row["active"] = remaining > 0  # a plan paid off is over
            return
        # Broken: some installments paid in full, then nothing; the next one is past its grace period.
        overdue = 0
        while add_months(first_due, overdue) + timedelta(days=grace) < as_of:
            overdue += 1
        paid = rng.randint(0, max(0, overdue - 1))
        paid = min(paid, max(0, (balance - 1) // installment))
        for number in range(paid):
            due = add_months(first_due, number)
            self.pay(installment, due + timedelta(days=rng.randint(-3, min(3, grace - 1))), add, nsf=False)


def generate_demo(accounts: int, seed: int, as_of: date, progress: Progress | None = None) -> DemoData:
    """The rows of a demo of ``accounts`` accounts whose history ends at ``as_of``; pure and deterministic."""
    if accounts < 1:
        raise ValidationFailed([Problem("accounts", "must be at least 1", str(accounts))])
    return _Generator(accounts, seed, as_of).run(progress)


# --- loading ---------------------------------------------------------------------------------------------


LATER_CHANGES = {"claim": ("status", "paid_cents"), "payment_plan": ("active",)}
"""The columns of a claim or plan row that change after it is written: the payer's decision, a plan paid off."""


class _Loader:
    """Writes a generated demo: everything that happened up to ``through`` at once, then day by day.

    Parties, phones and accounts are all written at once (an account opened later has an empty ledger
    until its first charge, and its guarantor's flags and dispute date are those of the demo's as-of
    date). A ledger line is written on its posting date, a claim on its billed date, a payment plan on its
    start date. A claim the payer decides later is written open with nothing paid, and takes its status
    and paid amount on the day of the decision (the day its insurance payment is posted); a plan paid off
    later is written active and made inactive on the day of its last installment.

    Ids are deterministic: parties, phones, accounts, claims and plans keep their local id shifted past
    the rows already there; ledger lines are numbered in the order they are written (after every line
    already in the table, including fees the daily run posted), and ``reverses_id`` follows that numbering.
    """

    def __init__(self, data: DemoData, through: date) -> None:
        self.data, self.through = data, through
        self.offsets: dict[str, int] = {}
        self.ledger_ids: dict[int, int] = {}
        """Local ledger line id → the id it was written with."""
        self.first: dict[str, list[dict[str, Any]]] = {"ledger_line": [], "claim": [], "payment_plan": []}
        """Rows written by :meth:`start`."""
        self.later: dict[date, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
        """Day → table → rows written that day."""
        self.changes: dict[date, list[tuple[str, dict[str, Any]]]] = defaultdict(list)
        """Day → (table, row) whose :data:`LATER_CHANGES` columns take their generated values that day."""
        self.before: dict[str, dict[int, dict[str, Any]]] = {"claim": {}, "payment_plan": {}}
        """Table → local id → the values of its :data:`LATER_CHANGES` columns until the change."""
        for name, rows, day_of in (
            ("ledger_line", data.ledger, "posted_date"),
            ("claim", data.claims, "billed_date"),
            ("payment_plan", data.plans, "start_date"),
        ):
            for row in rows:
                day = min(row[day_of] or through, data.as_of)
                (self.later[day][name] if day > through else self.first[name]).append(row)
        for name, rows, changed_on, before in (
            ("claim", data.claims, data.claims_decided, {"status": ClaimStatus.OPEN.value, "paid_cents": 0}),
            ("payment_plan", data.plans, data.plans_ended, {"active": True}),
        ):
            for row in rows:
                day = changed_on.get(row["id"])
                if day is not None and day > through:
                    self.changes[day].append((name, row))
                    self.before[name][row["id"]] = before

    def _written(self, name: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Claim or plan rows as written: shifted, with the values they have until a later change."""
        own, account, before = self.offsets[name], self.offsets["account"], self.before[name]
        return [
            {**row, "id": row["id"] + own, "account_id": row["account_id"] + account, **before.get(row["id"], {})}
            for row in rows
        ]

    def _ledger(self, rows: list[dict[str, Any]], first_id: int) -> list[dict[str, Any]]:
        out = []
        account, ids = self.offsets["account"], self.ledger_ids
        for number, row in enumerate(rows):
            ids[row["id"]] = first_id + number
            reverses = row["reverses_id"]
            out.append(
                {**row, "id": first_id + number, "account_id": row["account_id"] + account,
                 "reverses_id": None if reverses is None else ids[reverses]}
            )
        return out

    def _shifted(self, rows: list[dict[str, Any]], table: str, **references: str) -> list[dict[str, Any]]:
        own, offsets = self.offsets[table], self.offsets
        if not own and not any(offsets[ref] for ref in references.values()):
            return rows
        return [
            {**row, "id": row["id"] + own, **{column: row[column] + offsets[ref] for column, ref in references.items()}}
            for row in rows
        ]

    def start(self, connection: Connection, progress: Progress | None = None) -> dict[str, int]:
        """Write the portfolios, parties, accounts and everything up to ``through``; return code → id."""
        known = portfolio_id_by_code(connection)
        clashes = [code for code in DEMO_CODES if code in known]
        if clashes:
            raise ValidationFailed(
                [Problem("portfolio", "the demo portfolios already exist: build the demo in an empty database",
                         clashes[0])]
            )
        if ENTERPRISE not in known:
            raise ValidationFailed([Problem("portfolio", "the enterprise root portfolio is missing", ENTERPRISE)])
        # Per table, what to add to a local id (from 1) so it follows every id already there.
        self.offsets = offsets = {name: highest_id(connection, name) for name in TABLES if name != "portfolio"}
        codes = {}
        for portfolio in DEMO_PORTFOLIOS:
            codes[portfolio.code] = add_portfolio(connection, portfolio.code, portfolio.name, known[ENTERPRISE])
        portfolio_ids = [codes[p.code] for p in DEMO_PORTFOLIOS]
        accounts = [
            {**row, "id": row["id"] + offsets["account"], "guarantor_id": row["guarantor_id"] + offsets["party"],
             "portfolio_id": portfolio_ids[row["portfolio_id"]]}
            for row in self.data.accounts
        ]
        batches = [
            ("party", self._shifted(self.data.parties, "party")),
            ("phone", self._shifted(self.data.phones, "phone", party_id="party")),
            ("account", accounts),
            ("ledger_line", self._ledger(self.first["ledger_line"], offsets["ledger_line"] + 1)),
            ("claim", self._written("claim", self.first["claim"])),
            ("payment_plan", self._written("payment_plan", self.first["payment_plan"])),
        ]
        total = sum(len(rows) for _, rows in batches)
        done = 0

        def advance(count: int) -> None:
            nonlocal done
            done += count
            if progress:
                progress("load", done, total)

        for name, rows in batches:
            insert_rows(connection, name, rows, advance)
        move_sequences(connection, list(offsets))
        return codes

    def day(self, connection: Connection, day: date) -> list[int]:
        """Write what happened on ``day`` (after ``through``); return the ids of the accounts it touched."""
        touched: set[int] = set()
        rows = self.later.get(day, {})
        lines = rows.get("ledger_line", [])
        if lines:
            written = self._ledger(lines, highest_id(connection, "ledger_line") + 1)
            insert_rows(connection, "ledger_line", written)
            move_sequences(connection, ["ledger_line"])  # the run's fees come after
            touched.update(row["account_id"] for row in written)
        for name in ("claim", "payment_plan"):
            written = self._written(name, rows.get(name, []))
            insert_rows(connection, name, written)
            touched.update(row["account_id"] for row in written)
        for name, row in self.changes.get(day, []):
            set_columns(connection, name, row["id"] + self.offsets[name], {c: row[c] for c in LATER_CHANGES[name]})
            touched.add(row["account_id"] + self.offsets["account"])
        return sorted(touched)


def load_demo(connection: Connection, data: DemoData, progress: Progress | None = None) -> dict[str, int]:
    """Write all the demo's rows in the caller's transaction (without summaries); return portfolio code → id."""
    return _Loader(data, data.as_of).start(connection, progress)


# --- the daily runs --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DemoExample:
    """An account of the demo to look at: in collections, first on a collector's worklist on the last day."""

    account: str
    collector: str
    action: str


def demo_example(database: Database, on: date) -> DemoExample | None:
    """The account the demo names to look at: the first item of the first active collector's worklist on ``on``
    (in configuration order). The demo's account ids depend on the day its history ends, so the demo names
    one rather than the README; None when no collector has work (a demo without runs)."""
    strategy = load_strategy(database)
    for collector in strategy.collectors:
        if not collector.active:
            continue
        items = worklist(database, on, assignees_for(strategy, collector.code, None), 1, None)
        if items:
            return DemoExample(items[0].account, collector.code, items[0].action)
    return None


def example_strategy_path() -> Path:
    """The example strategy shipped in the package (``examples/strategy.yaml`` of the source tree links to it)."""
    return Path(__file__).resolve().parents[1] / "examples" / "strategy.yaml"


@dataclass(frozen=True, slots=True)
class CollectionsSummary:
    """What the daily runs of the demo did, from ``first_day`` to ``last_day`` (one run a day)."""

    first_day: date
    last_day: date
    runs: int
    counts: dict[str, int]
    """The runs' counts added up: ``entered``, ``resolved``, ``referred``, ``activities.<kind>``,
    ``letters_queued``, ``fees_posted``, ``released``, ``cancelled``, ``notes``, ``errors`` ..."""
    by_collector: dict[str, dict[str, int]]
    """Assignee (collector or group) → activity kind → how many activities the runs created."""
    worklist: dict[str, dict[str, int]]
    """Assignee → kind → operator-assisted work (calls, reviews) released and still pending on ``last_day``."""

    def count(self, name: str) -> int:
        return self.counts.get(name, 0)

    @property
    def activities(self) -> dict[str, int]:
        """Activity kind → how many the runs created."""
        return {k.removeprefix("activities."): n for k, n in self.counts.items() if k.startswith("activities.")}

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return {
            "first_day": self.first_day.isoformat(),
            "last_day": self.last_day.isoformat(),
            "runs": self.runs,
            "entered": self.count("entered"),
            "resolved": self.count("resolved"),
            "referred": self.count("referred"),
            "letters_queued": self.count("letters_queued"),
            "fees_posted": self.count("fees_posted"),
            "errors": self.count("errors"),
            "activities": self.activities,
            "activities_by_collector": self.by_collector,
            "worklist": self.worklist,
            "counts": self.counts,
        }


def _run_days(
    db: Database, loader: _Loader, as_of: date, days: int, strategy: Strategy, progress: Progress | None
) -> CollectionsSummary:
    totals: Counter[str] = Counter()
    run_ids = []
    for number in range(days):
        day = as_of - timedelta(days=days - 1 - number)
        with db.engine.begin() as connection:
            summaries.refresh(connection, loader.day(connection, day))
        result = run_day(db, day, strategy=strategy)
        totals.update(result.counts)
        run_ids.append(result.run_id)
        if progress:
            progress("run", number + 1, days)
    with db.engine.connect() as connection:
        by_collector = created_by_runs(connection, run_ids)
        worklist = open_work_due_by(connection, as_of, {kind.value for kind in OPERATOR_KINDS})
    return CollectionsSummary(
        first_day=as_of - timedelta(days=days - 1),
        last_day=as_of,
        runs=len(run_ids),
        counts=dict(sorted((name, count) for name, count in totals.items() if count)),
        by_collector=by_collector,
        worklist=worklist,
    )


def build_demo(
    db: Database,
    accounts: int,
    seed: int,
    as_of: date,
    progress: Progress | None = None,
    *,
    days: int = 0,
    strategy_text: str | None = None,
    strategy_name: str = "strategy.yaml",
) -> DemoResult:
    """Generate the demo and load it into ``db``; with ``days``, run the engine over the last ``days`` days.

    The 18 months of history end at ``as_of``; nothing is posted after it. Without ``days`` everything is
    written with every account summary in one transaction. With ``days`` (say 120), only what happened up
    to ``as_of - days`` is written at first (one transaction); then the strategy document ``strategy_text``
    is applied (by actor ``demo``; without it the stored configuration is used) and, for each day from
    ``as_of - days + 1`` to ``as_of``, that day's ledger lines, claims and plans are written with the
    summaries of the accounts they touch (one transaction) before the daily run of that day, so a run
    never sees a posting dated after it. Refuses (``ValidationFailed``, nothing written) when the demo
    portfolios already exist; an invalid strategy document is refused after the history is written.
    """
    if days < 0:
        raise ValidationFailed([Problem("days", "must be 0 or more", str(days))])
    began = time.perf_counter()
    data = generate_demo(accounts, seed, as_of, progress)
    generated = time.perf_counter()
    loader = _Loader(data, as_of - timedelta(days=days))
    with db.engine.begin() as connection:
        loader.start(connection, progress)
        loaded = time.perf_counter()
        summarized = 0

        def advance(count: int) -> None:
            nonlocal summarized
            summarized += count
            if progress:
                progress("summarize", min(summarized, len(data.accounts)), len(data.accounts))

        summaries.rebuild_all(connection, progress=advance)
    finished = time.perf_counter()
    seconds = {
        "generate": round(generated - began, 3),
        "load": round(loaded - generated, 3),
        "summarize": round(finished - loaded, 3),
    }
    collections = None
    if days:
        if strategy_text is not None:
            applied = apply_document(db, strategy_text, strategy_name, dry_run=False, actor="demo")
            if applied.errors:
                raise ValidationFailed([Problem(error.path, error.rule) for error in applied.errors])
        collections = _run_days(db, loader, as_of, days, load_strategy(db), progress)
        seconds["run"] = round(time.perf_counter() - finished, 3)
    seconds["total"] = round(time.perf_counter() - began, 3)
    zones = Counter(party["time_zone"] for party in data.parties)
    return DemoResult(
        as_of=as_of,
        seed=seed,
        portfolios=DEMO_CODES,
        accounts=len(data.accounts),
        parties=len(data.parties),
        phones=len(data.phones),
        ledger_lines=len(data.ledger),
        claims=len(data.claims),
        plans=len(data.plans),
        behaviours={b.value: n for b, n in sorted(Counter(data.behaviour_of.values()).items())},
        time_zones=dict(sorted(zones.items())),
        behaviour_of=dict(data.behaviour_of),
        seconds=seconds,
        days=days,
        collections=collections,
    )
