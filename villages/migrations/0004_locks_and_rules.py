"""Rules that hold: sending a village report opens near the end of its period (existing
periods open on their last ten days), the district chooses whether a verifier must differ from
the submitter (on), and every district has its default agencies from the start."""

from datetime import timedelta

from django.db import migrations, models

DEFAULT_AGENCIES = [
    ("BAPPEDA", "Badan Perencanaan Pembangunan, Riset dan Inovasi Daerah"),
    ("DINKES", "Dinas Kesehatan"),
    ("DPMD", "Dinas Pemberdayaan Masyarakat dan Desa"),
    ("DINSOS", "Dinas Sosial"),
    ("DPUPR", "Dinas Pekerjaan Umum dan Penataan Ruang"),
    ("DISPERKIM", "Dinas Perumahan dan Kawasan Permukiman"),
    ("DISDIK", "Dinas Pendidikan"),
    ("DP3AKB", "Dinas Pemberdayaan Perempuan, Perlindungan Anak dan Keluarga Berencana"),
    ("DISKOMINFO", "Dinas Komunikasi dan Informatika"),
    ("DISDUKCAPIL", "Dinas Kependudukan dan Pencatatan Sipil"),
    ("DKP", "Dinas Ketahanan Pangan"),
    ("KEMENAG", "Kantor Kementerian Agama"),
    ("BAGHUKUM", "Bagian Hukum Sekretariat Daerah"),
]


def fill(apps, schema_editor):
    ReportPeriod = apps.get_model("villages", "ReportPeriod")
    for period in ReportPeriod.objects.all().only("id", "ends_on", "starts_on"):
        opens = max(period.starts_on, period.ends_on - timedelta(days=9))
        ReportPeriod.objects.filter(pk=period.pk).update(opens_on=opens)
    District = apps.get_model("villages", "District")
    Agency = apps.get_model("villages", "Agency")
    have = set(Agency.objects.values_list("district_id", flat=True).distinct())
    Agency.objects.bulk_create(
        [
            Agency(district_id=district_id, short_name=short, name=name)
            for district_id in District.objects.values_list("id", flat=True)
            if district_id not in have
            for short, name in DEFAULT_AGENCIES
        ],
        batch_size=2000,
    )


class Migration(migrations.Migration):
    dependencies = [("villages", "0003_report_updated_by")]

    operations = [
        migrations.AddField(
            model_name="reportperiod",
            name="opens_on",
            field=models.DateField(null=True, verbose_name="dapat dikirim mulai"),
        ),
        migrations.AddField(
            model_name="district",
            name="verifier_must_differ",
            field=models.BooleanField(
                default=True,
                help_text="Keluaran aksi konvergensi diverifikasi oleh admin lain daripada yang mengirimnya.",
                verbose_name="verifikator harus berbeda dari pengirim",
            ),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
