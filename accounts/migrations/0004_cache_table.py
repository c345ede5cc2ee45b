"""The database cache table (settings.CACHES["database"]): rate limits and one-time-code
replay protection are kept there when there is no Redis, and while Redis does not answer."""

from django.conf import settings
from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    # createcachetable skips tables that already exist
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


def drop_cache_table(apps, schema_editor):
    schema_editor.execute(
        "DROP TABLE IF EXISTS %s" % schema_editor.quote_name(settings.CACHE_TABLE)
    )


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_form_submission")]

    operations = [migrations.RunPython(create_cache_table, drop_cache_table, elidable=False)]
