# The eight units of measure the portal began with (a closed list of choices until now)
# become rows, with the rules Indicator.check_result applied to them; the indicators and
# their history store the unit's name instead of the choice's key.

from decimal import Decimal

from django.db import migrations

# key: (name, whole numbers, highest result, percentage)
UNITS = {
    "percent": ("ร้อยละ", False, None, True),
    "count": ("จำนวน", True, None, False),
    "level": ("ระดับ", True, Decimal(5), False),
    "baht": ("บาท", False, None, False),
    "times": ("ครั้ง", True, None, False),
    "cases": ("ราย", True, None, False),
    "days": ("วัน", False, None, False),
    "score": ("คะแนน", False, None, False),
}


def fill_units_of_measure(apps, schema_editor):
    UnitOfMeasure = apps.get_model("indicators", "UnitOfMeasure")
    Indicator = apps.get_model("indicators", "Indicator")
    HistoricalIndicator = apps.get_model("indicators", "HistoricalIndicator")
    for name, whole_numbers, maximum, is_percentage in UNITS.values():
        UnitOfMeasure.objects.get_or_create(
            name=name,
            defaults={"whole_numbers": whole_numbers, "maximum": maximum, "is_percentage": is_percentage},
        )
    for model in (Indicator, HistoricalIndicator):
        for key, (name, *_rules) in UNITS.items():
            model.objects.filter(unit_of_measure=key).update(unit_of_measure=name)
    # Anything else stored (there should be nothing) becomes a unit of its own.
    others = set(Indicator.objects.values_list("unit_of_measure", flat=True))
    for name in others - {name for name, *_rules in UNITS.values()}:
        UnitOfMeasure.objects.get_or_create(name=name)


def restore_choice_keys(apps, schema_editor):
    Indicator = apps.get_model("indicators", "Indicator")
    HistoricalIndicator = apps.get_model("indicators", "HistoricalIndicator")
    for model in (Indicator, HistoricalIndicator):
        for key, (name, *_rules) in UNITS.items():
            model.objects.filter(unit_of_measure=name).update(unit_of_measure=key)


class Migration(migrations.Migration):

    dependencies = [
        ('indicators', '0008_unit_of_measure'),
    ]

    operations = [
        migrations.RunPython(fill_units_of_measure, restore_choice_keys),
    ]
