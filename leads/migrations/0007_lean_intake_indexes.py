"""Fewer indexes for intake to fill: every lead wrote an entry into each.

Dropped: foreign-key indexes that a composite index already leads with (lead.team in
lead_team_received, leadevent.lead in event_lead_at, idempotencykey.source in
idempotency_key_per_source), and the LIKE index that unique=True adds to
notification.dedupe_key (now a UniqueConstraint, which adds none). Mostly empty foreign
keys (lead.previous_lead, lead.product, leadevent.actor) get partial indexes of the rows
that set them. The foreign keys' indexes are dropped by name: AlterField would also drop
and re-create (and so re-check) the foreign key constraints.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# (model, field, the index Django named for it, its column)
FOREIGN_KEY_INDEXES = [
    ("idempotencykey", "source", "leads_idempotencykey_source_id_9cf9a96a", "source_id"),
    ("lead", "previous_lead", "leads_lead_previous_lead_id_a434ac98", "previous_lead_id"),
    ("lead", "product", "leads_lead_product_id_3ed38be5", "product_id"),
    ("lead", "team", "leads_lead_team_id_93d3ec8e", "team_id"),
    ("leadevent", "actor", "leads_leadevent_actor_id_05bf3969", "actor_id"),
    ("leadevent", "lead", "leads_leadevent_lead_id_426caf75", "lead_id"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0006_drop_team_assignments_made"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="idempotencykey",
                    name="source",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="leads.source",
                    ),
                ),
                migrations.AlterField(
                    model_name="lead",
                    name="previous_lead",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        help_text="The open lead of the same prospect this inquiry repeats.",
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="repeat_inquiries",
                        to="leads.lead",
                    ),
                ),
                migrations.AlterField(
                    model_name="lead",
                    name="product",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="leads",
                        to="leads.product",
                    ),
                ),
                migrations.AlterField(
                    model_name="lead",
                    name="team",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="leads",
                        to="leads.team",
                    ),
                ),
                migrations.AlterField(
                    model_name="leadevent",
                    name="actor",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        help_text="Empty for the system (intake, escalation).",
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="leadevent",
                    name="lead",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="events",
                        to="leads.lead",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f"DROP INDEX IF EXISTS {index}",
                    reverse_sql=f"CREATE INDEX {index} ON leads_{model} ({column})",
                )
                for model, _, index, column in FOREIGN_KEY_INDEXES
            ],
        ),
        migrations.AddIndex(
            model_name="lead",
            index=models.Index(
                condition=models.Q(("previous_lead__isnull", False)),
                fields=["previous_lead"],
                name="lead_repeat_of",
            ),
        ),
        migrations.AddIndex(
            model_name="lead",
            index=models.Index(
                condition=models.Q(("product__isnull", False)),
                fields=["product"],
                name="lead_product",
            ),
        ),
        migrations.AddIndex(
            model_name="leadevent",
            index=models.Index(
                condition=models.Q(("actor__isnull", False)), fields=["actor"], name="event_actor"
            ),
        ),
        migrations.AlterField(
            model_name="notification",
            name="dedupe_key",
            field=models.CharField(blank=True, max_length=200, null=True),
        ),
        migrations.AddConstraint(
            model_name="notification",
            constraint=models.UniqueConstraint(
                fields=("dedupe_key",), name="notification_dedupe_key"
            ),
        ),
    ]
