from django.db import migrations, models


class Migration(migrations.Migration):
    """The version row of the dashboard's figures; its triggers are (re)created after
    every migrate by reports.figures_version (post_migrate)."""

    dependencies = [
        ("reports", "0007_book_assembly_lease"),
    ]

    operations = [
        migrations.CreateModel(
            name="FiguresVersion",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("version", models.BigIntegerField(default=0, verbose_name="version")),
            ],
            options={
                "verbose_name": "figures version",
            },
        ),
    ]
