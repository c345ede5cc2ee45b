"""The chain's change log (PostgreSQL only): every statement that inserts, updates, deletes or
truncates rows the chain's check reads (event, version, signatory, signature, a version's final
PDF record) or the document rows themselves adds one line per document it touched, written by
the database itself, so a change made past the portal is logged as well.
`commitments.chain.fingerprint` reads the document's lines (their count, the last id and time)
instead of hashing every row on every view.

The triggers are statement triggers with transition tables (one line per document and
statement, however many rows: renumbering 850 signatories adds two lines, not 3,400), fire
ALWAYS (also under `session_replication_role = replica`), and run with the search path they were
created under (pg_dump and pg_restore empty it). A TRUNCATE logs every document. One disabled or
missing is seen by the fingerprint, which then gives up keeping anything.

The tables' document links (document_id, version_id, signatory_id, final_id) are read here:
renaming one needs a migration of these functions too."""

from django.db import migrations

TABLES = {
    # table: the SQL giving the documents of the rows of the transition table `{rows}`
    "commitments_commitmentdocument": "SELECT r.id FROM {rows} r",
    "commitments_signatureevent": "SELECT r.document_id FROM {rows} r",
    "commitments_documentversion": "SELECT r.document_id FROM {rows} r",
    "commitments_signatory": (
        "SELECT v.document_id FROM {rows} r"
        " JOIN commitments_documentversion v ON v.id = r.version_id"
    ),
    "commitments_signature": (
        "SELECT v.document_id FROM {rows} r"
        " JOIN commitments_signatory s ON s.id = r.signatory_id"
        " JOIN commitments_documentversion v ON v.id = s.version_id"
    ),
    "documents_generateddocument": (
        "SELECT v.document_id FROM {rows} r"
        " JOIN commitments_documentversion v ON v.final_id = r.id"
    ),
}

FUNCTION = """
CREATE FUNCTION commitments_chain_{name}() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO commitments_chainchange (document_id)
            SELECT DISTINCT d FROM ({new}) AS f(d) WHERE d IS NOT NULL;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO commitments_chainchange (document_id)
            SELECT DISTINCT d FROM ({new} UNION {old}) AS f(d) WHERE d IS NOT NULL;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO commitments_chainchange (document_id)
            SELECT DISTINCT d FROM ({old}) AS f(d) WHERE d IS NOT NULL;
    ELSE  -- TRUNCATE: every document may have lost rows
        INSERT INTO commitments_chainchange (document_id)
            SELECT id FROM commitments_commitmentdocument;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER commitments_chain_{name}_i AFTER INSERT ON {table}
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION commitments_chain_{name}();
CREATE TRIGGER commitments_chain_{name}_u AFTER UPDATE ON {table}
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION commitments_chain_{name}();
CREATE TRIGGER commitments_chain_{name}_d AFTER DELETE ON {table}
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION commitments_chain_{name}();
CREATE TRIGGER commitments_chain_{name}_t AFTER TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION commitments_chain_{name}();
ALTER TABLE {table} ENABLE ALWAYS TRIGGER commitments_chain_{name}_i;
ALTER TABLE {table} ENABLE ALWAYS TRIGGER commitments_chain_{name}_u;
ALTER TABLE {table} ENABLE ALWAYS TRIGGER commitments_chain_{name}_d;
ALTER TABLE {table} ENABLE ALWAYS TRIGGER commitments_chain_{name}_t;
"""


def _name(table: str) -> str:
    return table.split("_", 1)[1]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # a deploy does not wait behind a long transaction holding these tables
    schema_editor.execute("SET LOCAL lock_timeout = '10s'")
    schema_editor.execute(
        "CREATE TABLE commitments_chainchange ("
        " id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
        " document_id uuid NOT NULL,"
        " at timestamptz NOT NULL DEFAULT clock_timestamp())"
    )
    schema_editor.execute(
        "CREATE INDEX commitments_chainchange_document"
        " ON commitments_chainchange (document_id, id) INCLUDE (at)"
    )
    for table, of in TABLES.items():
        sql = FUNCTION.format(
            name=_name(table),
            table=table,
            new=of.format(rows="new_rows"),
            old=of.format(rows="old_rows"),
        )
        schema_editor.execute(sql, None)  # no parameters: the SQL is passed as it is
    # the documents that exist start with one line each
    schema_editor.execute(
        "INSERT INTO commitments_chainchange (document_id)"
        " SELECT id FROM commitments_commitmentdocument"
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP FUNCTION commitments_chain_{_name(table)}() CASCADE")
    schema_editor.execute("DROP TABLE commitments_chainchange")


class Migration(migrations.Migration):
    dependencies = [
        ("commitments", "0011_paper_batches_and_signing_date"),
        ("documents", "0002_attempt_limit"),
    ]

    operations = [migrations.RunPython(create, drop, elidable=False)]
