from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("rembuk", "0007_plan_item_year_filled"),
    ]

    operations = [
        migrations.AlterField(
            model_name="planitem",
            name="plan_year",
            field=models.PositiveSmallIntegerField(verbose_name="tahun rencana"),
        ),
    ]
