"""A synthetic but plausible dataset on the real regions (`manage.py generate_dataset`).

One district at a time (`generate_district`), inside that district's scope and one
transaction: its accounts, focus villages, five yearly convergence cycles with self and
province grades for the closed years, report periods with scorecards and semester reports of
(most of) its villages, rembuk sessions with participants and an activity plan, a commitment
document with signatories, signatures and follow-ups, and outcome values (survey prevalence,
e-PPGBM per kecamatan and per village, targets).

Every row goes in with bulk_create (no per-row save, so no post_save handler runs); the
audit log is not written (nothing here was done by a person). The figures come from one
`random.Random` seeded with the run's seed and the district's code: the same seed gives the
same figures for a district whatever else the run covers.

A district that already has convergence years or village reports is left alone (real or
earlier generated data); `fresh=True` first removes what an earlier generation made in it
(recognised by its accounts' e-mail domain, GENERATED_DOMAIN).
"""

import random
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from decimal import Decimal

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.db import transaction

from accounts.models import Membership, Role, User
from accounts.tenancy import district_scope
from commitments.chain import GENESIS, _digest, _fields, signature_payload
from commitments.models import (
    CommitmentDocument,
    DocumentVersion,
    FollowUp,
    FollowUpStatus,
    Signatory,
    Signature,
    SignatureEvent,
)
from commitments.wording import wording
from convergence.models import (
    Deliverable,
    DeliverableTemplate,
    DistrictYear,
    Framework,
    Grade,
    Indicator,
    Status,
    Transition,
    YearAction,
)
from convergence.services import default_due_date
from outcomes.models import STUNTING, DistrictTarget, IndicatorValue, NationalFigure, Source
from outcomes.models import Indicator as OutcomeIndicator
from rembuk.models import FundSource, Participant, PlanItem, RembukSession, RkpdStatus
from village_reports.demo import scorecard_data
from village_reports.models import (
    FocusDecree,
    FocusVillage,
    ReportEvent,
    ReportKind,
    ReportPeriod,
    ReportStatus,
    VillageReport,
)
from village_reports.reports import default_periods
from villages.models import Agency, District, Kecamatan, Village
from villages.services import ensure_default_agencies

from .snapshots import refresh_snapshot

BATCH = 2000
GENERATED_DOMAIN = "gen.konvergensi.id"
FOCUS_SHARE = 0.10  # of the district's villages, every year
CAMAT_ACCOUNTS = 3  # kecamatan whose camat gets an account
# The national survey series (DOMAIN.md §8) when the catalogue holds none; SKI in 2023.
NATIONAL = {2013: 37.2, 2018: 30.8, 2019: 27.7, 2021: 24.4, 2022: 21.6, 2023: 21.5, 2024: 19.8}
SKI_YEARS = {2023}
NAMES = (
    "Ahmad Fauzi", "Budi Santoso", "Cahya Pratama", "Dewi Lestari", "Eko Prasetyo",
    "Fitri Handayani", "Gunawan Saputra", "Hesti Wulandari", "Irfan Hakim", "Joko Susilo",
    "Kartika Sari", "Lukman Hakim", "Maria Ulfa", "Nur Aini", "Oktavia Putri",
    "Putu Wirawan", "Rahmat Hidayat", "Siti Aminah", "Taufik Rahman", "Umar Said",
    "Vivi Anggraini", "Wahyu Nugroho", "Yohanes Bria", "Zainal Abidin",
)  # fmt: skip
PLAN_ACTIVITIES = (
    ("Pemberian makanan tambahan bagi ibu hamil KEK", "DINKES", "ibu hamil KEK mendapat PMT"),
    ("Tablet tambah darah bagi remaja putri", "DINKES", "remaja putri minum TTD"),
    ("Kelas ibu balita dan konseling gizi", "DINKES", "ibu balita ikut kelas"),
    ("Pembangunan jamban sehat keluarga", "DPUPR", "rumah tangga dengan jamban layak"),
    ("Sambungan air minum perpipaan", "DPUPR", "rumah tangga dengan air minum layak"),
    ("Pendampingan keluarga berisiko stunting", "DP3AKB", "keluarga berisiko didampingi"),
    ("Bantuan pangan keluarga miskin", "DINSOS", "keluarga miskin menerima bantuan"),
    ("Pelatihan KPM dan kader posyandu", "DPMD", "KPM terlatih"),
    ("PAUD holistik integratif", "DISDIK", "anak 2–6 tahun di PAUD"),
    ("Penerbitan akta kelahiran balita", "DISDUKCAPIL", "balita memiliki akta"),
    ("Bimbingan perkawinan calon pengantin", "KEMENAG", "catin ikut bimbingan"),
    ("Kampanye perubahan perilaku", "DISKOMINFO", "desa terpapar kampanye"),
    ("Pekarangan pangan lestari", "DKP", "keluarga dengan pekarangan pangan"),
    ("Sistem manajemen data stunting", "BAPPEDA", "data by name by address diperbarui"),
)  # fmt: skip
FUND_SOURCES = (
    FundSource.APBD, FundSource.APBD, FundSource.DAK, FundSource.APBDES, FundSource.PROVINCE,
    FundSource.PRIVATE, FundSource.OTHER,
)  # fmt: skip
PARTICIPANT_ORGS = (
    "DPRD", "Forkopimda", "Puskesmas", "PKK", "BKKBN", "Kantor Kementerian Agama",
    "Universitas", "Dunia usaha", "LSM", "Duta Genre",
)  # fmt: skip
RETURN_REASON = "Data dukung belum lengkap; lampirkan daftar hadir dan foto kegiatan."
REPORT_REMARK = "Jumlah anak ditimbang tidak sama dengan data posyandu; mohon dicek ulang."


def _hundredths(x: float) -> Decimal:
    return Decimal(str(round(x, 2))).quantize(Decimal("0.01"))


@dataclass
class Result:
    district: District
    seconds: float = 0.0
    skipped: bool = False
    counts: Counter = field(default_factory=Counter)


class Generator:
    """Generates one district. `now` is the moment the data leads up to (default: now)."""

    def __init__(self, district: District, *, years: int, seed: int, password_hash: str, now=None):
        self.district = district
        self.tz = district.tz
        self.now = (now or datetime.now(UTC)).astimezone(self.tz)
        self.today = self.now.date()
        self.this_year = self.today.year
        self.years = list(range(self.this_year - years + 1, self.this_year + 1))
        self.rng = random.Random(f"{seed}:{district.code}")
        self.password_hash = password_hash
        self.counts = Counter()
        self.tag = district.code.replace(".", "")

    # -- helpers ------------------------------------------------------------------------------

    def at(self, day: date, hour=9, minute=0) -> datetime:
        """A moment of `day` in the district's zone, never after now."""
        moment = datetime.combine(day, clock(hour, minute), tzinfo=self.tz)
        return min(moment, self.now - timedelta(minutes=5))

    def put(self, model, rows):
        if rows:
            model.objects.bulk_create(rows, batch_size=BATCH)
            self.counts[model.__name__] += len(rows)
        return rows

    def person(self) -> str:
        return self.rng.choice(NAMES)

    def nip(self) -> str:
        born = date(1965, 1, 1) + timedelta(days=self.rng.randrange(0, 365 * 25))
        start = born.year + 23 + self.rng.randrange(0, 8)
        return (
            f"{born:%Y%m%d}{start}{self.rng.randrange(1, 13):02d}{self.rng.choice('12')}"[:15]
            + f"{self.rng.randrange(1, 999):03d}"
        )

    # -- the whole district --------------------------------------------------------------------

    def run(self):
        d = self.district
        ensure_default_agencies(d)
        self.agencies = {
            a.short_name: a for a in Agency.objects.filter(district=d).order_by("short_name")
        }
        self.kecamatan = list(Kecamatan.objects.active().filter(district=d).order_by("code"))
        self.villages = list(
            Village.objects.active().filter(district=d).order_by("kecamatan__code", "code")
        )
        self.by_kecamatan = {}
        for v in self.villages:
            self.by_kecamatan.setdefault(v.kecamatan_id, []).append(v)
        self._profile()
        self._accounts()
        self._outcomes()
        self._focus()
        self._convergence()
        self._village_reports()
        self._rembuk()
        self._commitments()
        return self.counts

    def _profile(self):
        d = self.district
        # drawn whether used or not: a second run with the same seed draws the same figures
        drawn = {name: self.person() for name in ("head_name", "deputy_name", "sekda_name")}
        drawn["sekda_nip"] = self.nip()
        changes = {name: value for name, value in drawn.items() if not getattr(d, name)}
        if not d.letterhead_name:
            changes["letterhead_name"] = d.default_letterhead_name()
        if changes:  # an update, not save(): no signal
            District.objects.filter(pk=d.pk).update(**changes)
            for k, v in changes.items():
                setattr(d, k, v)

    def _accounts(self):
        d, tag = self.district, self.tag
        people = [
            ("admin", Role.DISTRICT_ADMIN, "Sekretariat TPPS Bappeda", {}),
            ("executive", Role.EXECUTIVE, d.sekda_name, {}),
        ]
        for key, short, title in (
            ("opd.bappeda", "BAPPEDA", "Staf Bappeda"),
            ("opd.dinkes", "DINKES", "Staf Dinas Kesehatan"),
        ):
            people.append((key, Role.OPD_STAFF, title, {"agency": self.agencies[short]}))
        step = max(1, len(self.kecamatan) // CAMAT_ACCOUNTS)
        self.camat_kecamatan = self.kecamatan[::step][:CAMAT_ACCOUNTS]
        for n, kec in enumerate(self.camat_kecamatan, 1):
            people.append((f"camat{n}", Role.CAMAT, f"Camat {kec.name}", {"kecamatan": kec}))
        users = self.put(
            User,
            [
                User(
                    email=f"{key}.{tag}@{GENERATED_DOMAIN}",
                    full_name=name if role == Role.EXECUTIVE else self.person(),
                    password=self.password_hash,
                )
                for key, role, name, _scope in people
            ],
        )
        self.put(
            Membership,
            [
                Membership(user=u, role=role, district=d, position=name, **scope)
                for u, (_key, role, name, scope) in zip(users, people, strict=True)
            ],
        )
        # verified addresses, as grant_membership gives them: allauth lets them log in
        self.put(
            EmailAddress,
            [EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in users],
        )
        self.users = {key: u for u, (key, *_rest) in zip(users, people, strict=True)}
        self.admin = self.users["admin"]
        # the camat of a kecamatan without an account: None (decided by "the kecamatan team")
        self.camat_of = {
            kec.pk: self.users[f"camat{n}"] for n, kec in enumerate(self.camat_kecamatan, 1)
        }

    # -- outcomes -----------------------------------------------------------------------------

    def _national(self) -> dict[int, float]:
        series = dict(NATIONAL)
        stunting = OutcomeIndicator.objects.filter(code=STUNTING).first()
        if stunting:
            for year, value in NationalFigure.objects.filter(
                indicator=stunting, kind=NationalFigure.Kind.MEASURED
            ).values_list("year", "value"):
                series[year] = float(value)
        return series

    def _outcomes(self):
        d, rng = self.district, self.rng
        self.stunting = OutcomeIndicator.objects.get(code=STUNTING)
        national = self._national()
        # the district's standing against the country: from about a third to over twice the
        # national figure (some districts above 30 %, some under 10 %)
        self.factor = min(2.6, max(0.35, rng.lognormvariate(0, 0.38)))
        # e-PPGBM counts far fewer stunted children than the surveys (several fold)
        self.census_share = rng.uniform(0.22, 0.5)
        values = []
        prevalence = {}  # year -> survey-level prevalence (also the base of the other figures)
        last_known = max(y for y in national if y <= self.this_year)
        for year in self.years:
            base = national.get(year) or national[last_known] - 0.6 * (year - last_known)
            p = min(58.0, max(4.0, base * self.factor + rng.gauss(0, 1.2)))
            prevalence[year] = p
            if year in national and year < self.this_year:
                values.append(
                    IndicatorValue(
                        district=d,
                        indicator=self.stunting,
                        year=year,
                        value=_hundredths(p),
                        source=Source.SKI if year in SKI_YEARS else Source.SSGI,
                        note="Hasil survei nasional, angka kabupaten/kota",
                        entered_by=self.admin,
                        entered_at=self.at(date(min(year + 1, self.this_year), 5, 20)),
                    )
                )
        self.prevalence = prevalence
        self.census = {}  # (year, village id) -> rate in %
        for year in self.years:
            district_rate = prevalence[year] * self.census_share
            entered = self.at(date(year, 9, 15))
            if date(year, 9, 15) > self.today:
                continue
            total_n = total_m = 0
            for kec in self.kecamatan:
                kec_rate = district_rate * rng.uniform(0.55, 1.6)
                kec_n = kec_m = 0
                for v in self.by_kecamatan.get(kec.pk, []):
                    measured = rng.randint(40, 420)
                    rate = min(60.0, kec_rate * rng.uniform(0.4, 1.7))
                    stunted = min(measured, round(measured * rate / 100))
                    self.census[(year, v.pk)] = stunted * 100 / measured
                    kec_n += stunted
                    kec_m += measured
                    values.append(self._census_row(year, stunted, measured, entered, kec, v))
                if kec_m:
                    values.append(self._census_row(year, kec_n, kec_m, entered, kec))
                total_n += kec_n
                total_m += kec_m
            if total_m:
                values.append(self._census_row(year, total_n, total_m, entered))
        self.put(IndicatorValue, values)
        # targets: from this year's figure toward the national 14 % and below
        start = prevalence[self.years[0]]
        targets = []
        for n, year in enumerate([*self.years, self.this_year + 1, self.this_year + 2]):
            goal = max(8.0, min(start, start - n * max(0.8, (start - 14) / 6)))
            targets.append(
                DistrictTarget(
                    district=d,
                    indicator=self.stunting,
                    year=year,
                    value=_hundredths(goal),
                    updated_by=self.admin,
                )  # fmt: skip
            )
        self.put(DistrictTarget, targets)

    def _census_row(self, year, stunted, measured, entered, kecamatan=None, village=None):
        return IndicatorValue(
            district_id=self.district.pk,
            kecamatan_id=kecamatan.pk if kecamatan else None,
            village_id=village.pk if village else None,
            indicator_id=self.stunting.pk,
            year=year,
            month=8,
            value=_hundredths(stunted * 100 / measured),
            numerator=stunted,
            denominator=measured,
            source=Source.EPPGBM,
            entered_by_id=self.admin.pk,
            entered_at=entered,
        )

    # -- focus villages -----------------------------------------------------------------------

    def _focus(self):
        d, rng = self.district, self.rng
        n = max(1, round(len(self.villages) * FOCUS_SHARE))
        decrees = self.put(
            FocusDecree,
            [
                FocusDecree(
                    district=d,
                    year=year,
                    number=f"400.5/Kep.{rng.randint(10, 199)}-Bappeda/{year}",
                    signed_on=date(year, 1, rng.randint(10, 31)),
                    updated_by=self.admin,
                )
                for year in self.years
            ],
        )
        self.focus = {}
        previous = []
        entries = []
        for decree in decrees:
            # about half of last year's focus villages stay; the rest are the highest rates
            keep = rng.sample(previous, min(len(previous), n // 2)) if previous else []
            ranked = sorted(
                self.villages,
                key=lambda v: -(self.census.get((decree.year - 1, v.pk)) or rng.uniform(0, 30)),
            )
            chosen = list(dict.fromkeys(keep + [v for v in ranked if v not in keep]))[:n]
            self.focus[decree.year] = {v.pk for v in chosen}
            previous = chosen
            for v in chosen:
                rate = self.census.get((decree.year - 1, v.pk)) or self.prevalence[decree.year] / 3
                entries.append(
                    FocusVillage(
                        decree=decree,
                        district=d,
                        village=v,
                        prevalence=_hundredths(rate),
                        prevalence_source=f"e-PPGBM Agustus {decree.year - 1}",
                        stunted_children=rng.randint(5, 60),
                        figures={"keluarga miskin (%)": str(rng.randint(6, 28))},
                    )
                )
        self.put(FocusVillage, entries)

    # -- convergence --------------------------------------------------------------------------

    def _convergence(self):
        d, rng = self.district, self.rng
        # how well the district works: the share of its deliverables done on time
        self.diligence = rng.uniform(0.55, 0.98)
        years = []
        for year in self.years:
            framework = Framework.objects.for_year(year)
            if framework is None:
                continue
            closed = year < self.this_year
            years.append(
                DistrictYear(
                    district=d,
                    year=year,
                    framework=framework,
                    status=DistrictYear.Status.LOCKED if closed else DistrictYear.Status.OPEN,
                    opened_at=self.at(date(year, 1, 5)),
                    opened_by=self.admin,
                    locked_at=self.at(date(year + 1, 2, 10)) if closed else None,
                    locked_by=self.admin if closed else None,
                    province_closed_at=self.at(date(year + 1, 4, 20)) if closed else None,
                )
            )
        self.put(DistrictYear, years)
        staff = {"BAPPEDA": self.users["opd.bappeda"], "DINKES": self.users["opd.dinkes"]}
        year_actions, deliverables, transitions, grades = [], [], [], []
        framework_parts = {}
        for dy in years:
            if dy.framework_id not in framework_parts:
                templates = list(
                    DeliverableTemplate.objects.filter(action__framework=dy.framework)
                    .select_related("action")
                    .order_by("action__number", "number")
                )
                indicators = list(
                    Indicator.objects.filter(action__framework=dy.framework)
                    .prefetch_related("options")
                    .order_by("action__number", "number")
                )
                framework_parts[dy.framework_id] = (templates, indicators)
            templates, indicators = framework_parts[dy.framework_id]
            by_action = {}
            for t in templates:
                if t.action_id not in by_action:
                    ya = YearAction(
                        district=d,
                        district_year=dy,
                        action=t.action,
                        lead_agency=self.agencies.get(t.action.lead_agency),
                    )
                    by_action[t.action_id] = ya
                    year_actions.append(ya)
                ya = by_action[t.action_id]
                due = default_due_date(dy.year, t.due_month or t.action.due_month)
                sender = staff.get(t.action.lead_agency, self.users["opd.bappeda"])
                deliverable = Deliverable(
                    district=d, year_action=ya, template=t, due_date=due, updated_by=sender
                )
                deliverables.append(deliverable)
                transitions += self._deliverable_history(deliverable, t, dy, sender)
            if dy.is_locked:
                grades += self._grades(dy, indicators)
        self.put(YearAction, year_actions)
        self.put(Deliverable, deliverables)
        self.put(Transition, transitions)
        self.put(Grade, grades)

    def _deliverable_history(self, deliverable, template, dy, sender):
        """The deliverable's status, data and transitions: a closed year mostly verified; this
        year by its due date (done, waiting, sent back, late or not yet started)."""
        rng, due = self.rng, deliverable.due_date
        late_by = rng.randint(3, 40) if rng.random() > self.diligence else 0
        sent_on = due - timedelta(days=rng.randint(2, 20)) + timedelta(days=late_by)
        if dy.year < self.this_year:
            roll = rng.random()
            state = (
                Status.VERIFIED if roll < 0.9 else Status.SUBMITTED if roll < 0.96 else Status.DRAFT
            )
        elif sent_on >= self.today:
            state = Status.DRAFT
        else:
            roll = rng.random()
            state = (
                Status.VERIFIED if roll < 0.6 else Status.SUBMITTED if roll < 0.8
                else Status.RETURNED if roll < 0.92 else Status.DRAFT
            )  # fmt: skip
        deliverable.status = state
        if state != Status.DRAFT or rng.random() < 0.5:
            deliverable.data = {f["key"]: self._field_value(f, dy.year) for f in template.fields}
        if state == Status.DRAFT:
            return []
        sent = self.at(min(sent_on, self.today), 10, rng.randint(0, 59))
        deliverable.submitted_at = sent
        rows = [
            Transition(
                district=self.district,
                deliverable=deliverable,
                from_status=Status.DRAFT,
                to_status=Status.SUBMITTED,
                actor=sender,
                at=sent,
            )  # fmt: skip
        ]
        if state in (Status.VERIFIED, Status.RETURNED):
            decided = min(sent + timedelta(days=rng.randint(1, 6)), self.now - timedelta(minutes=1))
            rows.append(
                Transition(
                    district=self.district,
                    deliverable=deliverable,
                    from_status=Status.SUBMITTED,
                    to_status=state,
                    actor=self.admin,
                    at=decided,
                    reason=RETURN_REASON if state == Status.RETURNED else "",
                )  # fmt: skip
            )
            if state == Status.VERIFIED:
                deliverable.verified_at = decided
        return rows

    def _field_value(self, spec, year) -> str:
        rng = self.rng
        kind = spec["type"]
        if kind == "integer":
            return str(rng.randint(1, 400))
        if kind == "decimal":
            return str(_hundredths(rng.uniform(1, 60)))
        if kind == "rupiah":
            return str(rng.randint(50, 5000) * 1_000_000)
        if kind == "date":
            return min(date(year, rng.randint(1, 12), rng.randint(1, 28)), self.today).isoformat()
        return f"Isian {spec.get('label', spec['key'])} tahun {year}"[:200]

    def _grades(self, dy, indicators):
        """Self and province grades of a closed year: the district grades itself a little
        more kindly than the province does."""
        rng, rows = self.rng, []
        graded = self.at(date(dy.year + 1, 2, 1))
        for ind in indicators:
            options = sorted(ind.options.all(), key=lambda o: -o.points)  # best first
            if not options:
                continue
            own = min(len(options) - 1, int((1 - self.diligence) * len(options) + rng.random()))
            province = max(0, min(len(options) - 1, own + rng.choice((0, 0, 1, 1, -1))))
            for source, position, at in (
                (Grade.Source.SELF, own, graded),
                (Grade.Source.PROVINCE, province, graded + timedelta(days=60)),
            ):
                rows.append(
                    Grade(
                        district=self.district,
                        district_year=dy,
                        indicator=ind,
                        source=source,
                        option=options[position],
                        graded_by=self.admin,
                        graded_at=min(at, self.now - timedelta(minutes=1)),
                        justification="" if source == Grade.Source.SELF else "Sesuai bukti.",
                    )  # fmt: skip
                )
        return rows

    # -- village reports ----------------------------------------------------------------------

    def _village_reports(self):
        d, rng = self.district, self.rng
        periods = []
        for year in self.years:
            for spec in default_periods(year):
                periods.append(ReportPeriod(district=d, year=year, **spec))
        self.put(ReportPeriod, periods)
        # how complete and how punctual each kecamatan is
        habits = {
            kec.pk: (rng.uniform(0.7, 1.0), rng.uniform(0.02, 0.35)) for kec in self.kecamatan
        }
        reports, events = [], []
        for period in periods:
            if period.ends_on >= self.today:
                continue  # still running: nothing to send yet
            closed = period.year < self.this_year
            recent = (self.today - period.due_on).days < 120
            for v in self.villages:
                completeness, lateness = habits[v.kecamatan_id]
                if not closed:
                    completeness -= 0.1
                if rng.random() > completeness:
                    continue  # missing
                row = self._report(period, v, lateness, recent)
                if row:
                    reports.append(row[0])
                    events += row[1]
        self.put(VillageReport, reports)
        self.put(ReportEvent, events)

    def _report(self, period, village, lateness, recent):
        rng = self.rng
        if recent:
            roll = rng.random()
            status = (
                ReportStatus.VERIFIED if roll < 0.6 else ReportStatus.SUBMITTED if roll < 0.82
                else ReportStatus.RETURNED if roll < 0.92 else ReportStatus.DRAFT
            )  # fmt: skip
        else:
            status = ReportStatus.VERIFIED if rng.random() < 0.96 else ReportStatus.SUBMITTED
        head = f"Kepala {village.name}"
        if period.kind == ReportKind.SCORECARD:
            data = {
                **_scorecard(rng.randint(0, 60)),
                "sign_head": head,
                "sign_secretary": f"Sekdes {village.name}",
            }
        else:
            data = self._semester_data(period, village)
        # ids rather than instances: tens of thousands of rows, each descriptor call counts
        report = VillageReport(
            district_id=self.district.pk,
            village_id=village.pk,
            period_id=period.pk,
            status=status,
            data=data,
        )
        if status == ReportStatus.DRAFT:
            return report, []
        late = rng.random() < lateness
        sent_on = period.due_on + timedelta(days=rng.randint(1, 30) if late else -rng.randint(0, 9))
        sent_on = max(sent_on, period.opens_on)
        sent = self.at(min(sent_on, self.today), rng.randint(7, 16), rng.randint(0, 59))
        report.first_submitted_at = report.submitted_at = sent
        events = [
            ReportEvent(
                report_id=report.pk,
                district_id=self.district.pk,
                from_status=ReportStatus.DRAFT,
                to_status=ReportStatus.SUBMITTED,
                at=sent,
            )  # fmt: skip
        ]
        if status in (ReportStatus.VERIFIED, ReportStatus.RETURNED):
            decided = min(
                sent + timedelta(days=rng.randint(1, 10)), self.now - timedelta(minutes=1)
            )
            report.decided_at = decided
            camat = self.camat_of.get(village.kecamatan_id)
            report.decided_by_id = camat.pk if camat else None
            report.remark = REPORT_REMARK if status == ReportStatus.RETURNED else ""
            events.append(
                ReportEvent(
                    report_id=report.pk,
                    district_id=self.district.pk,
                    from_status=ReportStatus.SUBMITTED,
                    to_status=status,
                    remark=report.remark,
                    actor_id=report.decided_by_id,
                    at=decided,
                )  # fmt: skip
            )
        return report, events

    def _semester_data(self, period, village) -> dict:
        rng = self.rng
        budget = rng.randint(25, 300) * 1_000_000
        data = {
            "fund_budget": budget,
            "fund_spent": round(budget * rng.uniform(0.25, 0.6 if period.number == 1 else 1.0)),
        }
        if village.is_kelurahan or rng.random() < 0.3:
            data["perdes_status"] = "none" if rng.random() < 0.5 else "drafting"
        else:
            enacted = date(period.year - rng.randint(0, 3), rng.randint(1, 12), rng.randint(1, 28))
            data |= {
                "perdes_status": "enacted",
                "perdes_number": f"{rng.randint(1, 12)} Tahun {enacted.year}",
                "perdes_date": min(enacted, period.ends_on).isoformat(),
            }
        if period.number == 1 and rng.random() < 0.8:
            day = date(period.year, rng.randint(2, 5), rng.randint(1, 28))
            data |= {"rembuk_date": day.isoformat(), "rembuk_participants": rng.randint(15, 80)}
        return data

    # -- rembuk -------------------------------------------------------------------------------

    def _rembuk(self):
        d, rng = self.district, self.rng
        sessions, participants, items = [], [], []
        agencies = list(self.agencies.values())
        self.sessions = {}
        for year in self.years:
            day = date(year, rng.randint(3, 5), rng.randint(2, 27))
            if day > self.today:
                continue
            session = RembukSession(
                district=d,
                level="district",
                year=year,
                title=f"Rembuk Stunting {d.name} Tahun {year}",
                starts_at=self.at(day, 9),
                venue=f"Aula Bappeda {d.name}",
                chair=d.sekda_name,
                agenda="Hasil analisis situasi\nRencana kegiatan terintegrasi\n"
                "Penandatanganan komitmen",
                minutes="Rembuk menyepakati rencana kegiatan dan komitmen bersama.",
                checkin_open=False,
                created_by=self.admin,
            )
            sessions.append(session)
            self.sessions[year] = session
            order = 0
            for agency in agencies:
                order += 1
                participants.append(
                    self._participant(session, order, f"Kepala {agency.short_name}", agency.name)
                )
            for kec in self.kecamatan[: rng.randint(5, 25)]:
                order += 1
                participants.append(
                    self._participant(session, order, f"Camat {kec.name}", f"Kecamatan {kec.name}")
                )
            for _n in range(rng.randint(5, 20)):
                order += 1
                org = rng.choice(PARTICIPANT_ORGS)
                participants.append(self._participant(session, order, f"Perwakilan {org}", org))
            closed = year < self.this_year
            focus = sorted(self.focus.get(year, ()))
            for n, (activity, lead, target) in enumerate(
                rng.sample(PLAN_ACTIVITIES, rng.randint(8, len(PLAN_ACTIVITIES)))
            ):
                source = rng.choice(FUND_SOURCES)
                if closed:
                    rkpd = RkpdStatus.YES if rng.random() < 0.75 else RkpdStatus.NO
                else:
                    rkpd = rng.choice((RkpdStatus.YES, RkpdStatus.UNKNOWN, RkpdStatus.UNKNOWN))
                item = PlanItem(
                    session=session, district=d, activity=activity, plan_year=year + 1,
                    lead_agency=self.agencies.get(lead),
                    budget=rng.randint(2, 250) * 10_000_000 if source != FundSource.APBDES
                    else rng.randint(5, 60) * 10_000_000,
                    fund_source=source, target_indicator=target,
                    timeframe=f"Januari–Desember {year + 1}", in_rkpd=rkpd, order=n + 1,
                    updated_by=self.admin,
                )  # fmt: skip
                item.located = rng.sample(focus, min(len(focus), rng.randint(0, 5)))
                items.append(item)
        self.put(RembukSession, sessions)
        self.put(Participant, participants)
        self.put(PlanItem, items)
        through = PlanItem.villages.through
        self.put(
            through,
            [through(planitem_id=i.pk, village_id=v) for i in items for v in i.located],
        )

    def _participant(self, session, order, position, organisation):
        present = self.rng.random() < 0.85
        return Participant(
            session=session, district=self.district, name=self.person(), position=position,
            organisation=organisation, order=order,
            attended_at=session.starts_at + timedelta(minutes=self.rng.randint(-30, 40))
            if present else None,
            attendance="organiser" if present else "",
        )  # fmt: skip

    # -- commitments --------------------------------------------------------------------------

    def _commitments(self):
        d, rng = self.district, self.rng
        documents, versions, signatories, signatures, events, follow_ups = [], [], [], [], [], []
        place = d.name.replace("Kabupaten ", "").replace("Kota ", "")
        agencies = list(self.agencies.values())
        for year, session in self.sessions.items():
            text = wording("district", district=d, village=None, year=year)
            day = session.starts_at.astimezone(self.tz).date()
            document = CommitmentDocument(
                district=d, level="district", rembuk=session, template="district", year=year,
                created_by=self.admin,
            )  # fmt: skip
            version = DocumentVersion(
                document=document, district=d, number=1, title=text["title"],
                preamble=text["preamble"], points=text["points"], closing=text["closing"],
                place=place, signed_on=day, created_by=self.admin,
            )  # fmt: skip
            people = [
                (d.head_title + " " + place, d.head_name, "", ""),
                ("Sekretaris Daerah", d.sekda_name, "Pembina Utama Madya (IV/d)", d.sekda_nip),
            ]
            for agency in rng.sample(agencies, min(len(agencies), rng.randint(6, 12))):
                people.append(
                    (f"Kepala {agency.name}", self.person(), "Pembina (IV/a)", self.nip())
                )
            rows = [
                Signatory(
                    version=version,
                    district=d,
                    order=n,
                    position=pos[:200],
                    name=name,
                    rank=rank,
                    nip=nip,
                )  # fmt: skip
                for n, (pos, name, rank, nip) in enumerate(people, 1)
            ]
            closed = year < self.this_year
            complete = closed or rng.random() < 0.6
            signing = rows if complete else rows[: rng.randint(1, len(rows) - 1)]
            sha = version.content_sha256(rows)
            prev = GENESIS
            for seq, s in enumerate(signing, 1):
                signed_at = self.at(day, 10, min(59, seq))
                signature = Signature(
                    signatory=s, district=d, method=Signature.Method.PAPER, by=self.admin,
                    signed_at=signed_at, content_sha256=sha,
                )  # fmt: skip
                event = SignatureEvent(
                    document=document, district=d, seq=seq, kind=SignatureEvent.Kind.SIGNED,
                    at=signed_at, actor=self.admin, payload=signature_payload(signature),
                    prev_hash=prev,
                )  # fmt: skip
                event.hash = _chain_hash(event)
                prev = event.hash
                signatures.append(signature)
                events.append(event)
            document.status = (
                CommitmentDocument.Status.SIGNED if complete else CommitmentDocument.Status.SIGNING
            )
            documents.append(document)
            versions.append(version)
            signatories += rows
            if not complete:
                continue
            # each point followed up by one or two agencies, due during the next year
            for point in range(1, len(version.points) + 1):
                for agency in rng.sample(agencies, rng.randint(1, 2)):
                    due = date(year + (1 if closed else 0), rng.randint(3, 12), rng.randint(1, 28))
                    if closed and due < self.today:
                        roll = rng.random()
                        status = FollowUpStatus.VERIFIED if roll < 0.7 else (
                            FollowUpStatus.MISSED if roll < 0.85 else FollowUpStatus.DONE
                        )  # fmt: skip
                    else:
                        status = rng.choice(
                            (FollowUpStatus.NOT_STARTED, FollowUpStatus.IN_PROGRESS,
                             FollowUpStatus.IN_PROGRESS, FollowUpStatus.DONE)
                        )  # fmt: skip
                    follow_ups.append(
                        FollowUp(
                            document=document,
                            district=d,
                            point=point,
                            text=version.points[point - 1],
                            owner_agency=agency,
                            due_on=due,
                            status=status,
                            verifier=self.admin,
                            progress_note=""
                            if status == FollowUpStatus.NOT_STARTED
                            else "Kegiatan berjalan sesuai rencana.",
                            verdict="Bukti lengkap." if status == FollowUpStatus.VERIFIED else "",
                            verified_at=self.at(due) if status == FollowUpStatus.VERIFIED else None,
                        )  # fmt: skip
                    )
        self.put(CommitmentDocument, documents)
        self.put(DocumentVersion, versions)
        self.put(Signatory, signatories)
        self.put(Signature, signatures)
        self.put(SignatureEvent, events)
        self.put(FollowUp, follow_ups)


_SCORECARDS = {}


def _scorecard(seed: int) -> dict:
    """village_reports.demo.scorecard_data of `seed` (61 variants), made once."""
    if seed not in _SCORECARDS:
        _SCORECARDS[seed] = scorecard_data(seed)
    return _SCORECARDS[seed]


def _chain_hash(event: SignatureEvent) -> str:
    """The event's link in the hash chain, computed as commitments.chain.append_event does."""
    return _digest(event.prev_hash, _fields(event))


# --- the run ------------------------------------------------------------------------------------


def is_generated(district: District) -> bool:
    """Whether the district holds data already (generated or real): then it is skipped."""
    return (
        DistrictYear.objects.filter(district=district).exists()
        or VillageReport.objects.filter(district=district).exists()
    )


def remove_generated(district: District) -> bool:
    """Remove what an earlier generation made in the district; refuses (False) when the
    district holds data that this command did not make (accounts of another domain)."""
    members = Membership.objects.filter(district=district)
    if members.exclude(user__email__endswith=f"@{GENERATED_DOMAIN}").exists():
        return False
    for model in (FollowUp, SignatureEvent, Signature, Signatory):
        model.objects.filter(district=district).delete()
    DocumentVersion.objects.filter(district=district).delete()
    CommitmentDocument.objects.filter(district=district).delete()
    PlanItem.villages.through.objects.filter(planitem__district=district).delete()
    for model in (PlanItem, Participant, RembukSession):
        model.objects.filter(district=district).delete()
    for model in (ReportEvent, VillageReport, ReportPeriod, FocusVillage, FocusDecree):
        model.objects.filter(district=district).delete()
    for model in (Grade, Transition, Deliverable, YearAction, DistrictYear):
        model.objects.filter(district=district).delete()
    IndicatorValue.objects.filter(district=district).delete()
    DistrictTarget.objects.filter(district=district).delete()
    users = list(members.values_list("user_id", flat=True))
    members.delete()
    User.objects.filter(pk__in=users, email__endswith=f"@{GENERATED_DOMAIN}").delete()
    return True


def password_hash(password: str | None) -> str:
    """One hash for every generated account (hashing is slow on purpose: once per run)."""
    return make_password(password)


def generate_district(
    district: District, *, years=5, seed=0, fresh=False, hashed: str | None = None, now=None
) -> Result:
    """Generate `district` (skipped when it holds data, unless `fresh` and generated);
    `hashed`: the accounts' password hash (default: no usable password)."""
    started = time.monotonic()
    result = Result(district)
    with district_scope(district), transaction.atomic():
        if is_generated(district):
            if not fresh or not remove_generated(district):
                result.skipped = True
                result.seconds = time.monotonic() - started
                return result
        generator = Generator(
            district, years=years, seed=seed, password_hash=hashed or make_password(None), now=now
        )
        result.counts = generator.run()
    # the roll-ups read snapshots; the bulk inserts sent no post_save, so each generated
    # year's snapshot is written here, after the commit
    for year in generator.years:
        refresh_snapshot(district, year)
    result.seconds = time.monotonic() - started
    return result
