from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "parley.reports"
    label = "reports"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from parley.cases.hooks import after_change
        from parley.reports.spans import case_changed

        after_change("reports.spans", case_changed, order=10)
