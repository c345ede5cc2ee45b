"""The chain's change log (PostgreSQL only): every insert, update or delete of a row the
chain's check reads (event, version, signatory, signature, a version's final PDF record) or of
the document itself adds a line naming the document, written by the database itself, so a change made past the portal is
logged as well. `commitments.chain.fingerprint` reads the document's lines (their count and the
last id) instead of hashing every row on every view. The triggers fire ALWAYS, also under
`session_replication_role = replica`; one disabled by hand is seen by the fingerprint, which then
gives up keeping anything."""

from django.db import migrations

TABLES = {
    # table: the SQL giving the document of the row `r` (NEW or OLD)
    "commitments_commitmentdocument": "SELECT r.id",
    "commitments_signatureevent": "SELECT r.document_id",
    "commitments_documentversion": "SELECT r.document_id",
    "commitments_signatory": (
        "SELECT v.document_id FROM commitments_documentversion v WHERE v.id = r.version_id"
    ),
    "commitments_signature": (
        "SELECT v.document_id FROM commitments_signatory s"
        " JOIN commitments_documentversion v ON v.id = s.version_id WHERE s.id = r.signatory_id"
    ),
    "documents_generateddocument": (
        "SELECT v.document_id FROM commitments_documentversion v WHERE v.final_id = r.id"
    ),
}

FUNCTION = """
CREATE FUNCTION commitments_chain_{name}() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    r {table}%ROWTYPE;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        r := OLD;
        INSERT INTO commitments_chainchange (document_id)
            SELECT d FROM ({of}) AS f(d) WHERE d IS NOT NULL;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        r := NEW;
        INSERT INTO commitments_chainchange (document_id)
            SELECT d FROM ({of}) AS f(d) WHERE d IS NOT NULL;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER commitments_chain_{name} AFTER INSERT OR UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION commitments_chain_{name}();
ALTER TABLE {table} ENABLE ALWAYS TRIGGER commitments_chain_{name};
"""


def _name(table: str) -> str:
    return table.split("_", 1)[1]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "CREATE TABLE commitments_chainchange ("
        " id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
        " document_id uuid NOT NULL,"
        " at timestamptz NOT NULL DEFAULT now())"
    )
    schema_editor.execute(
        "CREATE INDEX commitments_chainchange_document ON commitments_chainchange (document_id, id)"
    )
    for table, of in TABLES.items():
        # no parameters: the SQL is passed as it is (%ROWTYPE)
        schema_editor.execute(FUNCTION.format(name=_name(table), table=table, of=of), None)
    # the documents that exist start with one line each
    schema_editor.execute(
        "INSERT INTO commitments_chainchange (document_id) SELECT id FROM commitments_commitmentdocument"
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        name = _name(table)
        schema_editor.execute(f"DROP TRIGGER commitments_chain_{name} ON {table}")
        schema_editor.execute(f"DROP FUNCTION commitments_chain_{name}()")
    schema_editor.execute("DROP TABLE commitments_chainchange")


class Migration(migrations.Migration):
    dependencies = [
        ("commitments", "0011_paper_batches_and_signing_date"),
        ("documents", "0002_attempt_limit"),
    ]

    operations = [migrations.RunPython(create, drop, elidable=False)]
