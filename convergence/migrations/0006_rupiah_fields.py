"""The budget fields of the shipped frameworks are rupiah, read like every rupiah input
(lib.rupiah: "1.500.000" is one and a half million), not decimals ("1.500" was 1,5).

Only the field type changes; the stored values are whole numbers as text either way."""

from django.db import migrations

RUPIAH_FIELDS = {"8-aksi-2018": "total_anggaran", "model-2025": "total_anggaran_ditandai"}


def _retype(apps, old, new):
    template_model = apps.get_model("convergence", "DeliverableTemplate")
    for code, key in RUPIAH_FIELDS.items():
        for template in template_model.objects.filter(action__framework__code=code):
            fields = [
                {**f, "type": new} if f.get("key") == key and f.get("type") == old else f
                for f in template.fields
            ]
            if fields != template.fields:
                # update(), not save(): the published framework's texts stay as they are
                template_model.objects.filter(pk=template.pk).update(fields=fields)


def forwards(apps, schema_editor):
    _retype(apps, "decimal", "rupiah")


def backwards(apps, schema_editor):
    _retype(apps, "rupiah", "decimal")


class Migration(migrations.Migration):
    dependencies = [("convergence", "0005_input_limits")]
    operations = [migrations.RunPython(forwards, backwards)]
