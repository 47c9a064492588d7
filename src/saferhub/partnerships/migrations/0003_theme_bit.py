from django.db import migrations, models

# Copied, not imported: the order of the standard themes fixes their bits for good.
STANDARD_ORDER = [
    "asb",
    "domestic_abuse",
    "home_safety",
    "fire_safety",
    "road_safety",
    "substance_misuse",
    "violence",
    "child_protection",
    "adult_protection",
    "serious_organised_crime",
    "sexual_crime",
    "hate_crime",
    "acquisitive_crime",
    "mental_health",
]


def assign_bits(apps, schema_editor):
    Theme = apps.get_model("partnerships", "Theme")
    for bit, code in enumerate(STANDARD_ORDER):
        Theme.objects.filter(partnership=None, code=code).update(bit=bit)
    extra_by_partnership = {}
    for theme in Theme.objects.exclude(partnership=None).order_by("pk"):
        bit = extra_by_partnership.get(theme.partnership_id, len(STANDARD_ORDER))
        theme.bit = bit
        theme.save(update_fields=["bit"])
        extra_by_partnership[theme.partnership_id] = bit + 1


class Migration(migrations.Migration):
    dependencies = [("partnerships", "0002_standard_themes")]

    operations = [
        migrations.AddField(
            model_name="theme",
            name="bit",
            field=models.PositiveSmallIntegerField(default=0),
            preserve_default=False,
        ),
        migrations.RunPython(assign_bits, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="theme",
            constraint=models.UniqueConstraint(
                fields=["bit"],
                condition=models.Q(partnership__isnull=True),
                name="standard_theme_bit_unique",
            ),
        ),
        migrations.AddConstraint(
            model_name="theme",
            constraint=models.UniqueConstraint(
                fields=["partnership", "bit"], name="extra_theme_bit_unique"
            ),
        ),
        migrations.AddConstraint(
            model_name="theme",
            constraint=models.CheckConstraint(
                condition=models.Q(bit__lte=62), name="theme_bit_fits_a_mask"
            ),
        ),
    ]
