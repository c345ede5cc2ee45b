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
