from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "parley.reports"
    label = "reports"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from parley.cases.hooks import after_change, after_import
        from parley.reports.spans import case_changed, cases_imported

        after_change("reports.spans", case_changed, order=10)
        after_import("reports.spans", cases_imported, order=10)
