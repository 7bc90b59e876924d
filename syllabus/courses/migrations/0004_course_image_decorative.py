# A course image can be marked decorative (shown with alt="", no description needed).
# A new boolean column with a constant default: no table rewrite on PostgreSQL 11+.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("courses", "0003_search_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="course",
            name="image_decorative",
            field=models.BooleanField(default=False),
        ),
    ]
