"""Start each new history with the rows as they are, so that the first change recorded after
this migration still shows its old values (who had access, the deadlines and locks)."""

from django.db import migrations
from django.utils import timezone

REASON = "สถานะเมื่อเริ่มบันทึกประวัติ"  # "as it was when the history began"
HISTORY_COLUMNS = {"history_id", "history_date", "history_type", "history_user_id", "history_change_reason"}
TRACKED = [
    ("indicators", "FiscalYear", ()),
    ("indicators", "FiscalQuarter", ()),
    ("indicators", "OrgUnit", ()),
    ("indicators", "StrategyNode", ()),
    ("indicators", "CityDataSet", ()),
    ("indicators", "SupportingProject", ()),
    ("indicators", "UnitMembership", ()),
    ("auth", "User", ("groups", "user_permissions")),
    ("auth", "Group", ("permissions",)),
]


def fill_access_history(apps, schema_editor):
    now = timezone.now()
    for app_label, name, m2m_fields in TRACKED:
        model = apps.get_model(app_label, name)
        history = apps.get_model("indicators", f"Historical{name}")
        columns = [f.attname for f in history._meta.concrete_fields if f.attname not in HISTORY_COLUMNS]
        history.objects.bulk_create(
            [
                history(
                    history_date=now,
                    history_type="+",
                    history_change_reason=REASON,
                    **{column: getattr(obj, column) for column in columns},
                )
                for obj in model.objects.order_by("pk")
            ],
            batch_size=500,
        )
        if not m2m_fields:
            continue
        history_ids = dict(history.objects.filter(history_date=now).values_list("id", "history_id"))
        owner = f"{model._meta.model_name}_id"
        for field_name in m2m_fields:
            through = model._meta.get_field(field_name).remote_field.through
            m2m_history = apps.get_model("indicators", f"Historical{name}_{field_name}")
            m2m_columns = [
                f.attname
                for f in m2m_history._meta.concrete_fields
                if f.attname not in ("m2m_history_id", "history_id")
            ]
            m2m_history.objects.bulk_create(
                [
                    m2m_history(
                        history_id=history_ids[getattr(row, owner)],
                        **{c: getattr(row, c) for c in m2m_columns},
                    )
                    for row in through.objects.order_by("pk")
                ],
                batch_size=500,
            )


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("indicators", "0002_history_of_access_and_deadlines"),
    ]

    operations = [migrations.RunPython(fill_access_history, migrations.RunPython.noop)]
