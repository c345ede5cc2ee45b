import django.core.validators
from django.db import migrations, models


class Migration(migrations.Migration):
    """The plan year is added empty here, filled in 0007 and made required in 0008: on
    PostgreSQL a table whose rows were updated cannot be altered in the same transaction
    ("pending trigger events"), and each migration is one transaction."""

    dependencies = [
        ("rembuk", "0005_stored_file_base"),
    ]

    operations = [
        migrations.AddField(
            model_name="planitem",
            name="plan_year",
            field=models.PositiveSmallIntegerField(null=True, verbose_name="tahun rencana"),
        ),
        migrations.AddField(
            model_name="planitem",
            name="programme_code",
            field=models.CharField(
                blank=True,
                max_length=40,
                validators=[
                    django.core.validators.RegexValidator(
                        "^[0-9X]{1,2}(\\.[0-9X]{1,4}){1,5}$",
                        "Tulis kode nomenklatur dengan titik, misalnya 1.02.02.2.02.0005.",
                    )
                ],
                verbose_name="kode program/kegiatan/subkegiatan",
            ),
        ),
    ]
