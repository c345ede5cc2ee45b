from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("villages", "0009_region_import_job")]

    operations = [
        migrations.RemoveField(model_name="regionimport", name="errors"),
        migrations.RemoveField(model_name="regionimport", name="finished_at"),
        migrations.RemoveField(model_name="regionimport", name="status"),
        migrations.RemoveField(model_name="regionimport", name="summary"),
    ]
