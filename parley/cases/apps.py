from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "parley.cases"
    label = "cases"
    verbose_name = "Disagreements"
    default_auto_field = "django.db.models.BigAutoField"
