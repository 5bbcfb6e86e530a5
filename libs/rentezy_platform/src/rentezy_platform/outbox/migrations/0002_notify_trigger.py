"""NOTIFY the relay from the database itself: a statement-level trigger on the
outbox table, so `outbox_enqueue` is ONE statement (the INSERT) instead of two.
Semantics are those of a NOTIFY in the writer's transaction: delivered only on
commit, never on rollback, duplicates within a transaction folded into one."""

from django.db import migrations

CREATE = """
CREATE FUNCTION rentezy_outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('rentezy_outbox', '');
    RETURN NULL;
END
$$;
CREATE TRIGGER rentezy_outbox_notify
    AFTER INSERT ON outbox_outboxmessage
    FOR EACH STATEMENT EXECUTE FUNCTION rentezy_outbox_notify();
"""

DROP = """
DROP TRIGGER IF EXISTS rentezy_outbox_notify ON outbox_outboxmessage;
DROP FUNCTION IF EXISTS rentezy_outbox_notify();
"""


class Migration(migrations.Migration):
    dependencies = [("outbox", "0001_initial")]

    operations = [migrations.RunSQL(CREATE, DROP)]
