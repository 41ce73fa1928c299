from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "parley.cases"
    label = "cases"
    verbose_name = "Disagreements"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registers the room's background tasks by name (parley.cases.hooks.in_background).
        import parley.cases.tasks  # noqa: F401
