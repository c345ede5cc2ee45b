from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("commitments", "0005_final_pdf_as_generated_document")]

    operations = [
        migrations.RemoveField(model_name="documentversion", name="pdf"),
        migrations.RemoveField(model_name="documentversion", name="pdf_rendered_at"),
        migrations.RemoveField(model_name="documentversion", name="pdf_sha256"),
        migrations.RemoveField(model_name="documentversion", name="pdf_size"),
        migrations.DeleteModel(name="RenderJob"),
    ]
