# The indicator's unit of measure becomes a key of the UnitOfMeasure table (by name);
# 0009 filled the table and turned the stored keys into names.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('indicators', '0009_fill_units_of_measure'),
    ]

    operations = [
        migrations.AlterField(
            model_name='historicalindicator',
            name='unit_of_measure',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='indicators.unitofmeasure', to_field='name', verbose_name='unit of measure'),
        ),
        migrations.AlterField(
            model_name='indicator',
            name='unit_of_measure',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='indicators', to='indicators.unitofmeasure', to_field='name', verbose_name='unit of measure'),
        ),
    ]
