from django.db import migrations

# Copied, not imported: a migration must keep working when the model module changes.
STANDARD_THEMES = {
    "asb": "Antisocial behaviour",
    "domestic_abuse": "Domestic abuse",
    "home_safety": "Home safety",
    "fire_safety": "Fire safety",
    "road_safety": "Road safety",
    "substance_misuse": "Substance misuse",
    "violence": "Violence",
    "child_protection": "Child protection",
    "adult_protection": "Adult protection",
    "serious_organised_crime": "Serious organised crime",
    "sexual_crime": "Sexual crime",
    "hate_crime": "Hate crime",
    "acquisitive_crime": "Acquisitive crime",
    "mental_health": "Mental health",
}


def add_standard_themes(apps, schema_editor):
    Theme = apps.get_model("partnerships", "Theme")
    for code, name in STANDARD_THEMES.items():
        Theme.objects.get_or_create(code=code, partnership=None, defaults={"name": name})


class Migration(migrations.Migration):
    dependencies = [("partnerships", "0001_initial")]

    operations = [migrations.RunPython(add_standard_themes, migrations.RunPython.noop)]
