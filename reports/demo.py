"""The demo's annual evaluation: each demo district's closed (previous) year written up by the
secretariat, rendered, and approved by the Sekda in the portal, through the real services, at
the moments it would have happened (lib.clock). Idempotent: a year that has a version is left
alone."""

from datetime import date, timedelta

from accounts.models import Role
from documents.models import Job
from lib.clock import in_the_past, local, replaying

from . import services
from .models import EvaluationVersion

# the secretariat's texts, in Indonesian as the PDF prints them
TEXTS = {
    "summary": (
        "Tahun {year} seluruh delapan aksi konvergensi dilaksanakan dan diverifikasi. "
        "Prevalensi stunting menurun, tetapi belum mencapai target daerah."
    ),
    "villages": (
        "Desa lokus melaporkan kartu skor secara lengkap; laporan beberapa desa terlambat "
        "pada triwulan ketiga."
    ),
    "problems": (
        "Data e-PPGBM sebagian posyandu terlambat dimasukkan.\n"
        "Sebagian kegiatan hasil rembuk belum masuk Renja OPD."
    ),
    "recommendations": (
        "Dinas Kesehatan mendampingi kader posyandu memasukkan data setiap bulan.\n"
        "Bappeda memastikan kegiatan rembuk masuk RKPD tahun berikutnya."
    ),
}


def _at(day: date, hour: int, minute: int, district):
    return in_the_past(local(day, hour, minute, district.tz), margin=timedelta(hours=1))


def seed_evaluation(district, users: dict, *, password: str) -> None:
    """The previous year's evaluation: texts saved in February, version 1 rendered, approved
    by the Sekda four days later (sealed when the district has a certificate). `users`: the
    demo users by role; `password`: the Sekda's, to approve in the portal. Runs inside
    seed_demo's transaction, scopes disabled."""
    today = district.local_now().date()
    year = today.year - 1
    if EvaluationVersion.objects.filter(district=district, year=year).exists():
        return
    admin, sekda = users[Role.DISTRICT_ADMIN], users[Role.EXECUTIVE]
    with replaying(_at(date(today.year, 2, 20), 10, 0, district)):
        services.save_narratives(
            district,
            year,
            texts={key: text.format(year=year) for key, text in TEXTS.items()},
            by=admin,
        )
    with replaying(_at(date(today.year, 2, 20), 10, 30, district)):
        version = services.request_evaluation(district, year, by=admin)
        # inside seed_demo's transaction a worker would only see the job after the commit:
        # render it here (the claim lets one of the two do the work)
        if Job.objects.filter(pk=version.job_id, status=Job.Status.QUEUED).exists():
            services.render_version(version.job_id)
    with replaying(_at(date(today.year, 2, 24), 9, 0, district)):
        version.refresh_from_db()
        services.approve_version(version, by=sekda, password=password)
