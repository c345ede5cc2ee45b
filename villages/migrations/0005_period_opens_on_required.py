from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("villages", "0004_locks_and_rules")]

    operations = [
        migrations.AlterField(
            model_name="reportperiod",
            name="opens_on",
            field=models.DateField(verbose_name="dapat dikirim mulai"),
        ),
    ]
