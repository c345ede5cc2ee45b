"""Commitment documents for tests, made through the services."""

from datetime import date

from commitments import services

POINTS = [
    "Menganggarkan pencegahan stunting dalam APBD.",
    "Mengarahkan intervensi ke desa lokus.",
    "Memperkuat kader pembangunan manusia.",
    "Melaporkan data stunting setiap triwulan.",
    "Menilai kinerja aksi konvergensi setiap tahun.",
]
NIP = "197001012000031002"


def make_document(side, *, level="district", village=None, points=POINTS, template="district"):
    kwargs = {}
    if level == "village":
        village = village or side.village
        kwargs = {"village": village, "kecamatan": village.kecamatan}
    return services.create_document(
        district=side.district,
        template=template,
        level=level,
        year=2026,
        title="Komitmen Bersama Percepatan Penurunan Stunting",
        preamble="Kami yang bertanda tangan di bawah ini berkomitmen untuk:",
        points=list(points),
        closing="Demikian komitmen ini dibuat.",
        place="Sumedang",
        signed_on=date(2026, 8, 12),
        by=side.users["district_admin"],
        **kwargs,
    )


def add_people(document, side, *, users=(), paper=0):
    """Signatories: one per user in `users` (role names), then `paper` without an account."""
    rows = []
    for role in users:
        user = side.users[role]
        rows.append(
            {
                "position": f"Jabatan {role}",
                "name": user.full_name or user.email,
                "nip": NIP,
                "user": user,
            }
        )
    for i in range(paper):
        rows.append({"position": f"Ketua Lembaga {i + 1}", "name": f"Tokoh {i + 1}"})
    return services.add_signatories(document, rows=rows, by=side.users["district_admin"])


def make_signed_document(side):
    """A district document signed in the portal by the side's OPD staff and executive and on
    paper (a scan uploaded) by a leader without an account; the last signature renders the
    final PDF (Celery runs eagerly in tests) when the transaction commits: in a test's atomic
    block, call it under django_capture_on_commit_callbacks(execute=True) and read the
    version again after. Returns the document and its signed version."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django_scopes import scopes_disabled

    from tests.conftest import PASSWORD, png_bytes

    with scopes_disabled():
        document = make_document(side)
        staff, executive, leader = add_people(
            document, side, users=["opd_staff", "executive"], paper=1
        )
        services.open_signing(document, by=side.users["district_admin"])
        digest = document.current_version.content_sha256()
        for signatory, role in ((staff, "opd_staff"), (executive, "executive")):
            services.sign_in_portal(
                document,
                signatory=signatory,
                user=side.users[role],
                password=PASSWORD,
                content_sha256=digest,
            )
        services.sign_on_paper(
            document,
            signatory=leader,
            upload=SimpleUploadedFile("lembar.png", png_bytes()),
            by=side.users["district_admin"],
        )
        return document, document.versions.get()
