"""Fill the effective deadline of existing quarters: each fiscal year's setting starts
off (the deadline stays as set), so it is the reporting deadline; historical rows record
a time before the setting existed and get the same."""

from django.db import migrations
from django.db.models import F


def fill_effective_due_dates(apps, schema_editor):
    for model_name in ("FiscalQuarter", "HistoricalFiscalQuarter"):
        model = apps.get_model("indicators", model_name)
        model.objects.filter(effective_due_date__isnull=True).update(effective_due_date=F("due_date"))


class Migration(migrations.Migration):
    dependencies = [("indicators", "0004_working_calendar_and_unit_heads")]

    operations = [migrations.RunPython(fill_effective_due_dates, migrations.RunPython.noop)]
