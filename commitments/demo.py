"""Demo rembuk stunting and commitment documents for one district (called by seed_demo after
seed_villages; idempotent: a district that has any commitment document is left alone).

Made through the real services (rembuk.services, commitments.services), so that the hash chain,
audit log, stored paper pages and the final PDF are genuine:

Each step is replayed at the moment it would have happened (lib.clock): the documents are
drafted before their rembuk, signed in the portal at its close and on paper in the days
after, and the final PDF is rendered when the last paper page is in; nothing is dated after
today.

- the district rembuk stunting of this year (held some months ago): agenda, fourteen
  participants (the two demo village heads linked to their accounts and checked in themselves,
  most others ticked present by the organisers, two absent), minutes and five lines of the
  agreed activity plan in focus villages;
- the district's joint commitment from that rembuk, fully signed: the Sekda (the demo executive)
  and the two demo village heads in the portal, six officials on paper; its final PDF rendered
  here, so that it is there when `make run` starts. Four points are followed up: one done with
  evidence (waiting for verification), two in progress (one owned by the first demo village),
  one overdue and not started;
- the rembuk desa of the first demo village (twelve days ago) with two APBDes-funded
  activities (APBD for a kelurahan, whose council is an LPM, not a BPD), and its village
  commitment still being signed: the village head (portal) and the BPD chair (paper) have
  signed; the camat (portal: his login shows the document waiting for him) and the village
  PKK chair (paper) have not.
"""

from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import Membership, Role
from convergence.demo import demo_pdf
from documents.models import Job
from lib.clock import in_the_past, local, replaying
from rembuk import services as rembuk
from rembuk.models import Attendance, FundSource, Level, Participant, RkpdStatus
from village_reports.demo import village_rembuk_day
from village_reports.models import FocusVillage
from villages.models import Agency, Village, VillageKind
from villages.services import village_profile

from . import services, wording
from .models import CommitmentDocument, FollowUpStatus, Signatory

DEMO_DOMAIN = "@demo.konvergensi.id"

# Officials of the demo districts (invented names; NIPs are well formed, not real): per
# district code, the town for the date line, the venue, and the people by key.
# A person: (name, rank, NIP).
PEOPLE = {
    "32.11": {
        "place": "Sumedang",
        "venue": "Gedung Negara Sumedang, Jalan Prabu Geusan Ulun Nomor 36",
        "dprd": ("H. Asep Kurnia, S.Sos.", "", ""),
        "bappeda": (
            "Ir. Hj. Tuti Ruswati, M.T.",
            "Pembina Utama Muda (IV/c)",
            "197103121995032002",
        ),
        "dinkes": (
            "dr. Dadang Hermawan, M.Kes.",
            "Pembina Utama Muda (IV/c)",
            "197508172002121003",
        ),
        "dpmd": ("Drs. Yudi Prasetyo, M.Si.", "Pembina Tingkat I (IV/b)", "196911041994031005"),
        "dinsos": ("Hj. Neneng Sumarni, S.Sos., M.Si.", "Pembina Tingkat I (IV/b)", ""),
        "pkk": ("Hj. Susi Gantini, S.E.", "", ""),
        "kemenag": ("Drs. H. Cecep Supriatna, M.Ag.", "", ""),
        "puskesmas": ("dr. Rini Apriani", "", ""),
        "village": {
            "sekdes": "Ujang Suherman",
            "bpd": "H. Ade Sukmana",
            "bidan": "Euis Rahmawati, A.Md.Keb.",
            "kader": "Imas Komariah",
            "pkk": "Lilis Suryani",
            "pendamping": "Rizal Fauzi, S.P.",
        },
    },
    "53.02": {
        "place": "SoE",
        "venue": "Aula Mutis, Kantor Bupati Timor Tengah Selatan, SoE",
        "dprd": ("Marcu Mbau, S.H.", "", ""),
        "bappeda": ("Ir. Yeskiel Loudoe, M.Si.", "Pembina Utama Muda (IV/c)", "196912051996031004"),
        "dinkes": ("dr. Ria Tahun, M.Kes.", "Pembina Tingkat I (IV/b)", "197806152005012003"),
        "dpmd": ("Obed Nakamnanu, S.Sos., M.Si.", "Pembina Tingkat I (IV/b)", "197104101998031006"),
        "dinsos": ("Yuliana Tlonaen, S.Sos.", "Pembina (IV/a)", ""),
        "pkk": ("Agustina Benu, S.Pd.", "", ""),
        "kemenag": ("Drs. Yakobus Neno, M.Pd.", "", ""),
        "puskesmas": ("dr. Meldi Bani", "", ""),
        "village": {
            "sekdes": "Yohanis Nenobais",
            "bpd": "Markus Tefa",
            "bidan": "Yuliana Sabu, A.Md.Keb.",
            "kader": "Martha Boimau",
            "pkk": "Dorkas Liu",
            "pendamping": "Frans Nope, S.P.",
        },
    },
}
# Any other district seeded later gets the same people under neutral names.
DEFAULT_PEOPLE = {
    "place": "",
    "venue": "",
    "dprd": ("H. Ahmad Fauzi, S.H.", "", ""),
    "bappeda": ("Ir. Sri Wahyuni, M.T.", "Pembina Utama Muda (IV/c)", "197103121995032002"),
    "dinkes": ("dr. Budi Hartono, M.Kes.", "Pembina Utama Muda (IV/c)", "197508172002121003"),
    "dpmd": ("Drs. Agus Salim, M.Si.", "Pembina Tingkat I (IV/b)", "196911041994031005"),
    "dinsos": ("Hj. Siti Aminah, S.Sos.", "Pembina Tingkat I (IV/b)", ""),
    "pkk": ("Hj. Ratna Dewi, S.E.", "", ""),
    "kemenag": ("Drs. H. Muhammad Yusuf, M.Ag.", "", ""),
    "puskesmas": ("dr. Rina Marlina", "", ""),
    "village": {
        "sekdes": "Agus Setiawan",
        "bpd": "H. Dedi Kurniawan",
        "bidan": "Nur Aisyah, A.Md.Keb.",
        "kader": "Siti Rohmah",
        "pkk": "Yati Suryati",
        "pendamping": "Andi Pratama, S.P.",
    },
}
SEKDA_NIP = "197103121995031002"  # when the district's own is missing or malformed
SEKDA_RANK = "Pembina Utama Madya (IV/d)"

AGENDA = [
    "Pembukaan dan arahan Bupati",
    "Paparan hasil analisis situasi dan prevalensi stunting",
    "Program prioritas tahun berjalan dan tahun berikutnya",
    "Dukungan bagi desa lokus dan pembagian peran desa dan kabupaten",
    "Penandatanganan komitmen bersama",
]
EXTRA_POINT = (
    "Mengoptimalkan peran TP PKK dan Kantor Kementerian Agama dalam bimbingan perkawinan dan "
    "pendampingan calon pengantin."
)
# Lines of the district plan: activity, lead agency, how many focus villages, budget, fund
# source, target indicator, timeframe, in next year's RKPD.
DISTRICT_PLAN = [
    (
        "Pemberian makanan tambahan berbahan pangan lokal bagi balita gizi kurang dan ibu "
        "hamil KEK",
        "DINKES",
        4,
        1_250_000_000,
        FundSource.APBD,
        "Balita gizi kurang dan ibu hamil KEK yang menerima PMT lokal 90 hari",
        "Maret–Desember {next_year}",
        RkpdStatus.YES,
    ),
    (
        "Pembangunan sarana air minum dan jamban sehat di desa lokus",
        "DPUPR",
        3,
        2_400_000_000,
        FundSource.DAK,
        "Rumah tangga dengan akses air minum layak dan sanitasi aman",
        "April–November {next_year}",
        RkpdStatus.UNKNOWN,
    ),
    (
        "Pelatihan dan insentif kader pembangunan manusia (KPM)",
        "DPMD",
        8,
        450_000_000,
        FundSource.APBD,
        "KPM yang melaporkan scorecard desa setiap triwulan",
        "Januari–Desember {next_year}",
        RkpdStatus.YES,
    ),
    (
        "Pendampingan keluarga berisiko stunting oleh Tim Pendamping Keluarga",
        "DP3AKB",
        5,
        680_000_000,
        FundSource.DAK,
        "Keluarga berisiko stunting yang didampingi setiap bulan",
        "Januari–Desember {next_year}",
        RkpdStatus.UNKNOWN,
    ),
    (
        "Bantuan pangan bagi keluarga miskin dengan balita stunting",
        "DINSOS",
        4,
        900_000_000,
        FundSource.PROVINCE,
        "Keluarga miskin dengan balita stunting penerima bantuan pangan",
        "Triwulan II–IV {next_year}",
        RkpdStatus.UNKNOWN,
    ),
]
VILLAGE_PLAN = [
    (
        "Pemberian makanan tambahan di posyandu bagi balita dan ibu hamil",
        45_000_000,
        "Balita dan ibu hamil yang datang ke posyandu setiap bulan",
        "Januari–Desember {next_year}",
    ),
    (
        "Insentif kader posyandu dan kader pembangunan manusia",
        24_000_000,
        "Kader aktif yang melaporkan kegiatan setiap bulan",
        "Januari–Desember {next_year}",
    ),
]


def seed_commitments(district, users: dict, *, password: str) -> None:
    """`users`: the demo users of seed_demo by role ("district_admin", "opd_staff" of DINKES,
    "executive" (the Sekda), "camat", "village_head" and "kpm" of the first demo village);
    `password`: theirs, to sign in the portal. The second demo village head is found by his
    membership. Runs with scopes disabled, inside seed_demo's transaction."""
    if CommitmentDocument.objects.filter(district=district).exists():
        return
    people = PEOPLE.get(district.code, DEFAULT_PEOPLE)
    heads = _village_heads(district, users[Role.VILLAGE_HEAD])
    today = district.local_now().date()
    session = _district_rembuk(district, users, people, heads, today)
    document = _district_document(district, users, people, heads, session, password)
    _follow_ups(document, users, heads, today)
    village_session = _village_rembuk(district, users, people, heads[0], today)
    _village_document(district, users, people, heads[0], village_session, password)


# --- helpers ----------------------------------------------------------------------------------


def _village_heads(district, first_head):
    """[(user, village)] of the demo village heads: the first demo village's, then the others
    with a demo account, by email."""
    memberships = (
        Membership.objects.active()
        .filter(district=district, role=Role.VILLAGE_HEAD, user__email__endswith=DEMO_DOMAIN)
        .select_related("user", "village__kecamatan")
        .order_by("user__email")
    )
    found = sorted(memberships, key=lambda m: (m.user_id != first_head.pk, m.user.email))
    return [(m.user, m.village) for m in found]


def _pdf(name: str, title: str, line: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, demo_pdf(title, line), content_type="application/pdf")


def _nip(value: str, fallback: str = "") -> str:
    try:
        return services.clean_nip(value) or fallback
    except ValidationError:
        return fallback


def _bare(district) -> str:
    """ "Sumedang" for "Kabupaten Sumedang"."""
    for prefix in ("Kabupaten ", "Kota "):
        if district.name.startswith(prefix):
            return district.name[len(prefix) :]
    return district.name


def _is_kelurahan(village) -> bool:
    return village.kind == VillageKind.KELURAHAN


def _council(village) -> tuple[str, str]:
    """The village council's chair (long, short): a kelurahan has an LPM instead of a BPD."""
    if _is_kelurahan(village):
        return "Ketua Lembaga Pemberdayaan Masyarakat", "Ketua LPM"
    return "Ketua Badan Permusyawaratan Desa", "Ketua BPD"


def _at(day: date, hour: int, minute: int, district):
    """hh:mm on `day` in the district, or just before now if that lies ahead."""
    return in_the_past(local(day, hour, minute, district.tz))


def _attend(session, participants, *, absent=(), self_checkin=(), by):
    """Participants arriving over the half hour before the start: the organisers tick them
    present as they come in; `self_checkin` (by name) checked in themselves with the QR code,
    `absent` stayed away."""
    for n, p in enumerate(participants):
        if p.name in absent:
            continue
        arrived = session.starts_at - timedelta(minutes=25) + timedelta(minutes=2 * n)
        if p.name in self_checkin:
            Participant.objects.filter(pk=p.pk).update(
                attended_at=arrived, attendance=Attendance.SELF
            )
            continue
        with replaying(in_the_past(arrived)):
            rembuk.mark_attendance(p, present=True, by=by)


def _link(session, name: str, user) -> None:
    """The participant called `name` is this portal user."""
    Participant.objects.filter(session=session, name=name).update(user=user)


def _sign(document, admin, password: str, day: date) -> None:
    """Sign everyone: the portal users at the close of the rembuk on `day`, one after the
    other; the others on paper, their scanned pages uploaded by the admin over the next three
    mornings. The final PDF is rendered when the last page is in."""
    district = document.district
    version = document.current_version
    signatories = list(version.signatories.order_by("order"))
    portal = [s for s in signatories if s.user_id is not None]
    paper = [s for s in signatories if s.user_id is None]
    for n, signatory in enumerate(portal):
        with replaying(in_the_past(local(day, 12, 10, district.tz) + timedelta(minutes=2 * n))):
            services.sign_in_portal(
                document,
                signatory=signatory,
                user=signatory.user,
                password=password,
                content_sha256=version.content_sha256(),
            )
    for n, signatory in enumerate(paper):
        upload = _pdf(
            f"ttd-{signatory.order:02d}.pdf",
            f"Lembar tanda tangan {signatory.name}",
            f"{signatory.position} — {version.title}",
        )
        morning = local(day + timedelta(days=1 + n * 3 // len(paper)), 9, 15, district.tz)
        with replaying(in_the_past(morning + timedelta(minutes=6 * n))):
            services.sign_on_paper(document, signatory=signatory, upload=upload, by=admin)
            if signatory is paper[-1]:
                _render(document)


def _render(document) -> None:
    """Render the final PDF now: inside seed_demo's transaction the render that the last
    signature queues starts only after the commit (and then finds nothing left to do), but
    follow-up needs a signed document, and `make run` should find the PDF there."""
    for job in Job.objects.filter(
        kind=services.RENDER_JOB,
        payload__version=str(document.current_version.pk),
        status=Job.Status.QUEUED,
    ):
        services.render_final(job.pk)


# --- the district -----------------------------------------------------------------------------


def _district_rembuk(district, users, people, heads, today):
    admin = users[Role.DISTRICT_ADMIN]
    day = min(date(today.year, 3, 18), today - timedelta(days=60))
    head_title = f"{district.head_title} {_bare(district)}"
    chair = district.head_name or f"{district.head_title} {_bare(district)}"
    venue = people["venue"] or f"Aula Kantor {district.head_title} {_bare(district)}"
    camat = users[Role.CAMAT]
    camat_area = (
        Membership.objects.active()
        .filter(user=camat, district=district, role=Role.CAMAT)
        .values_list("kecamatan__name", flat=True)
        .first()
    )
    with replaying(_at(day - timedelta(days=14), 10, 0, district)):  # planned ahead
        session = rembuk.create_session(
            district=district,
            level=Level.DISTRICT,
            by=admin,
            title=f"Rembuk Stunting {district.name} Tahun {day.year}",
            starts_at=_at(day, 8, 30, district),
            venue=venue,
            chair=chair,
            agenda="\n".join(AGENDA),
            minutes=(
                f"Rembuk dibuka oleh {head_title} pukul 08.45. Kepala Bappeda memaparkan hasil "
                "analisis situasi: prevalensi stunting turun, tetapi masih di atas target di desa "
                "lokus; cakupan PMT lokal dan akses air minum layak menjadi masalah utama.\n"
                "Kepala Dinas Kesehatan menyampaikan program prioritas tahun ini dan rencana tahun "
                "depan. Peserta menyepakati lima kegiatan prioritas beserta OPD penanggung jawab, "
                "lokasi dan anggarannya (lihat rencana kegiatan).\n"
                "Kepala desa meminta pendampingan penyusunan peraturan desa tentang pencegahan "
                "stunting; DPMD menyanggupi bimbingan teknis pada triwulan berikutnya.\n"
                "Rembuk ditutup dengan penandatanganan komitmen bersama pukul 12.10."
            ),
            checkin_open=False,
        )
        name = lambda key: people[key][0]  # noqa: E731
        lines = [
            (chair, head_title, f"Pemerintah {district.name}"),
            (district.sekda_name or "Sekretaris Daerah", "Sekretaris Daerah", district.name),
            (name("dprd"), f"Ketua DPRD {district.name}", "DPRD"),
            (name("bappeda"), "Kepala Bappeda", "Bappeda"),
            (name("dinkes"), "Kepala Dinas Kesehatan", "Dinas Kesehatan"),
            (name("dpmd"), "Kepala Dinas Pemberdayaan Masyarakat dan Desa", "DPMD"),
            (name("dinsos"), "Kepala Dinas Sosial", "Dinas Sosial"),
            (camat.full_name, f"Camat {camat_area}", f"Kecamatan {camat_area}"),
            (name("pkk"), f"Ketua TP PKK {district.name}", "TP PKK"),
            (name("kemenag"), "Kepala Kantor Kementerian Agama", "Kementerian Agama"),
            (name("puskesmas"), "Kepala Puskesmas", "Dinas Kesehatan"),
            ("Sekretariat TPPS", "Sekretariat Tim Percepatan Penurunan Stunting", "Bappeda"),
        ]
        rembuk.add_participants(
            session,
            lines=[rembuk.ParticipantLine(n, p, o) for n, p, o in lines],
            by=admin,
        )
        _link(session, district.sekda_name or "Sekretaris Daerah", users[Role.EXECUTIVE])
        _link(session, camat.full_name, camat)
        _link(session, "Sekretariat TPPS", admin)
        rembuk.add_village_heads(session, by=admin)
    participants = list(session.participants.order_by("order"))
    _attend(
        session,
        participants,
        absent={name("dprd"), name("kemenag")},
        self_checkin={user.full_name for user, _village in heads},
        by=admin,
    )

    focus = list(
        Village.objects.filter(
            pk__in=FocusVillage.objects.filter(district=district, decree__year=day.year).values(
                "village_id"
            )
        ).order_by("code")
    )
    agencies = {a.short_name: a for a in Agency.objects.filter(district=district)}
    with replaying(_at(day, 14, 0, district)):  # the plan agreed at the rembuk
        for n, (activity, lead, count, budget, source, target, when, rkpd) in enumerate(
            DISTRICT_PLAN
        ):
            chosen = focus[n : n + count] if len(focus) > count else focus
            rembuk.add_plan_item(
                session,
                by=admin,
                activity=activity,
                lead_agency=agencies.get(lead),
                villages=chosen,
                budget=budget,
                fund_source=source,
                target_indicator=target,
                timeframe=when.format(next_year=day.year + 1),
                in_rkpd=rkpd,
            )
    return session


def _district_document(district, users, people, heads, session, password):
    admin = users[Role.DISTRICT_ADMIN]
    day = session.starts_at.astimezone(district.tz).date()
    place = people["place"] or _bare(district)
    text = wording.wording("district", district=district, village=None, year=day.year)
    drafted = _at(day - timedelta(days=3), 10, 0, district)  # prepared ahead of the rembuk
    with replaying(drafted):
        document = services.create_document(
            district=district,
            template="district",
            level=Level.DISTRICT,
            rembuk=session,
            year=day.year,
            title=text["title"],
            preamble=text["preamble"],
            points=[*text["points"], EXTRA_POINT],
            closing=text["closing"],
            place=place,
            signed_on=day,
            by=admin,
        )

    def official(key, position, organisation):
        name, rank, nip = people[key]
        return {
            "position": position,
            "name": name,
            "rank": rank,
            "nip": _nip(nip),
            "organisation": organisation,
        }

    executive = users[Role.EXECUTIVE]
    rows = [
        {
            "position": f"{district.head_title} {_bare(district)}",
            "name": district.head_name or f"{district.head_title} {_bare(district)}",
        },
        {
            "position": f"Ketua DPRD {district.name}",
            "name": people["dprd"][0],
        },
        {
            "position": f"Sekretaris Daerah {district.name}",
            "name": district.sekda_name or executive.full_name,
            "rank": SEKDA_RANK,
            "nip": _nip(district.sekda_nip, SEKDA_NIP),
            # the demo executive is the Sekda: he signs in the portal
            "user": executive,
        },
        official("bappeda", "Kepala Bappeda", "Badan Perencanaan Pembangunan, Riset dan Inovasi"),
        official("dinkes", "Kepala Dinas Kesehatan", ""),
        official("dpmd", "Kepala Dinas Pemberdayaan Masyarakat dan Desa", ""),
        {"position": f"Ketua TP PKK {district.name}", "name": people["pkk"][0]},
    ]
    for user, village in heads:
        rows.append(
            {
                "position": village.head_title,
                "name": user.full_name,
                "organisation": f"Kecamatan {village.kecamatan.name}",
                "user": user,
            }
        )
    with replaying(drafted + timedelta(minutes=40)):
        services.add_signatories(document, rows=rows, by=admin)
    with replaying(_at(day - timedelta(days=1), 15, 0, district)):
        services.open_signing(document, by=admin)
    _sign(document, admin, password, day)
    document.refresh_from_db()
    return document


def _follow_ups(document, users, heads, today):
    """Four points followed up, a week after the signing: BAPPEDA done with evidence (waiting
    for the admin's verification), DINKES and the first demo village in progress (reported in
    the last fortnight), DISKOMINFO overdue and not started."""
    if document.status != CommitmentDocument.Status.SIGNED:
        return  # the PDF failed; the page offers a retry, follow-up waits for it
    district = document.district
    created = _at(document.current_version.signed_on + timedelta(days=7), 9, 0, district)
    admin = users[Role.DISTRICT_ADMIN]
    agencies = {a.short_name: a for a in Agency.objects.filter(district=document.district)}
    village_user, village = heads[0]
    year = document.year
    plan = [
        # point, owner agency, owner village, due in days, status, by, note, evidence
        (
            1,
            agencies.get("BAPPEDA"),
            None,
            -30,
            FollowUpStatus.DONE,
            admin,
            "Percepatan penurunan stunting masuk prioritas pembangunan dalam rancangan RKPD "
            f"{year + 1}; berita acara musrenbang kabupaten terlampir.",
            ("berita-acara-musrenbang.pdf", f"Berita Acara Musrenbang RKPD {year + 1}"),
        ),
        (
            3,
            agencies.get("DINKES"),
            None,
            40,
            FollowUpStatus.IN_PROGRESS,
            users[Role.OPD_STAFF],
            "Paket layanan lengkap sudah diterima 71% sasaran di desa lokus; sweeping "
            "imunisasi dan kelas ibu hamil berjalan.",
            None,
        ),
        (
            4,
            None,
            village,
            max(38, (date(today.year, 12, 31) - today).days),
            FollowUpStatus.IN_PROGRESS,
            village_user,
            (
                "Kegiatan PMT dan insentif kader diusulkan untuk dana kelurahan tahun depan; "
                "menunggu pembahasan di kecamatan."
                if _is_kelurahan(village)
                else "Kegiatan PMT dan insentif kader dianggarkan dalam rancangan APBDes; "
                "menunggu evaluasi camat."
            ),
            None,
        ),
        (5, agencies.get("DISKOMINFO"), None, -14, FollowUpStatus.NOT_STARTED, None, "", None),
    ]
    for n, (point, agency, owner_village, days, status, by, note, evidence) in enumerate(plan):
        if agency is None and owner_village is None:
            continue
        with replaying(created + timedelta(minutes=5 * n)):
            follow_up = services.create_follow_up(
                document,
                point=point,
                owner_agency=agency,
                owner_village=owner_village,
                due_on=today + timedelta(days=days),
                by=admin,
            )
        if status == FollowUpStatus.NOT_STARTED:
            continue
        upload = None
        if evidence:
            upload = _pdf(evidence[0], evidence[1], f"{district.name}, tahun {year}")
        # done a few days before its due date; progress on the others lately
        reported = today + timedelta(days=days - 3) if status == FollowUpStatus.DONE else None
        reported = max(reported or today - timedelta(days=9 - n), created.date() + timedelta(1))
        with replaying(_at(reported, 10, 30, district)):
            services.report_progress(follow_up, status=status, note=note, upload=upload, by=by)


# --- the village ------------------------------------------------------------------------------


def _village_rembuk(district, users, people, head, today):
    user, village = head
    folk = people["village"]
    day = village_rembuk_day(district)  # the village's semester report counts it too
    desa = f"{village.kind_label} {village.name}"
    kelurahan = _is_kelurahan(village)
    # a kelurahan has no village plan or budget of its own: it proposes to the musrenbang
    plans = "usulan musrenbang kelurahan" if kelurahan else "RKPDes dan APBDes"
    secretary = village_profile(village).secretary_name or folk["sekdes"]
    with replaying(_at(day - timedelta(days=7), 10, 0, district)):
        session = rembuk.create_session(
            district=district,
            level=Level.VILLAGE,
            village=village,
            by=user,
            title=f"Rembuk Stunting {desa} Tahun {day.year}",
            starts_at=_at(day, 9, 0, district),
            venue=f"Balai {desa}",
            chair=user.full_name,
            agenda="\n".join(
                [
                    f"Pemaparan hasil pemetaan sosial dan scorecard {desa} oleh KPM",
                    f"Usulan kegiatan pencegahan stunting untuk {plans} {day.year + 1}",
                    f"Penandatanganan komitmen {village.kind_label.lower()}",
                ]
            ),
            minutes=(
                f"KPM memaparkan scorecard {desa}: cakupan penimbangan baik, kunjungan rumah "
                "bagi keluarga berisiko belum lengkap. Peserta menyepakati dua kegiatan yang "
                f"diusulkan masuk {plans} {day.year + 1}, serta komitmen yang ditandatangani "
                f"{village.head_title} dan unsur masyarakat."
            ),
            checkin_open=False,
        )
        companion = (
            ("Pendamping Keluarga", "Tim Pendamping Keluarga")
            if kelurahan
            else ("Pendamping Desa", "P3MD")
        )
        lines = [
            (secretary, f"Sekretaris {village.kind_label}", desa),
            (folk["bpd"], _council(village)[1], desa),
            (users[Role.KPM].full_name, "Kader Pembangunan Manusia", desa),
            (folk["bidan"], f"Bidan {village.kind_label}", "Puskesmas"),
            (folk["kader"], "Kader Posyandu", desa),
            (folk["pkk"], f"Ketua TP PKK {village.kind_label}", desa),
            (folk["pendamping"], *companion),
        ]
        rembuk.add_village_heads(session, by=user)
        rembuk.add_participants(
            session,
            lines=[rembuk.ParticipantLine(n, p, o) for n, p, o in lines],
            by=user,
        )
        _link(session, users[Role.KPM].full_name, users[Role.KPM])
    _attend(
        session,
        list(session.participants.order_by("order")),
        absent={folk["pendamping"]},
        by=user,
    )
    with replaying(_at(day, 12, 0, district)):
        for activity, budget, target, when in VILLAGE_PLAN:
            rembuk.add_plan_item(
                session,
                by=user,
                activity=activity,
                budget=budget,
                fund_source=FundSource.APBD if kelurahan else FundSource.APBDES,
                target_indicator=target,
                timeframe=when.format(next_year=day.year + 1),
            )
    return session


def _village_document(district, users, people, head, session, password):
    """Signing in progress: the village head (portal) and the BPD chair (paper) have signed;
    the village PKK chair (paper) and the camat (portal) have not."""
    user, village = head
    folk = people["village"]
    camat = users[Role.CAMAT]
    day = session.starts_at.astimezone(district.tz).date()
    text = wording.wording("village", district=district, village=village, year=day.year)
    drafted = _at(day - timedelta(days=1), 14, 0, district)
    with replaying(drafted):
        document = services.create_document(
            district=district,
            template="village",
            level=Level.VILLAGE,
            village=village,
            rembuk=session,
            year=day.year,
            title=text["title"],
            preamble=text["preamble"],
            points=text["points"],
            closing=text["closing"],
            place=village.name,
            signed_on=day,
            by=user,
        )
    with replaying(drafted + timedelta(minutes=20)):
        _village_signatories(document, user, village, folk, camat)
    with replaying(drafted + timedelta(minutes=40)):
        services.open_signing(document, by=user)
    version = document.current_version
    signatories = {s.order: s for s in Signatory.objects.filter(version=version)}
    with replaying(_at(day, 11, 45, district)):  # at the close of the rembuk
        services.sign_in_portal(
            document,
            signatory=signatories[1],
            user=user,
            password=password,
            content_sha256=version.content_sha256(),
        )
    with replaying(_at(day + timedelta(days=1), 9, 30, district)):
        services.sign_on_paper(
            document,
            signatory=signatories[2],
            upload=_pdf(
                "ttd-2.pdf",
                f"Lembar tanda tangan {folk['bpd']}",
                f"{_council(village)[1]} — {version.title}",
            ),
            by=user,
        )
    return document


def _village_signatories(document, user, village, folk, camat):
    services.add_signatories(
        document,
        rows=[
            {"position": village.head_title, "name": user.full_name, "user": user},
            {"position": _council(village)[0], "name": folk["bpd"]},
            {"position": f"Ketua TP PKK {village.kind_label}", "name": folk["pkk"]},
            {
                "position": f"Mengetahui, Camat {village.kecamatan.name}",
                "name": camat.full_name,
                "user": camat,
            },
        ],
        by=user,
    )
