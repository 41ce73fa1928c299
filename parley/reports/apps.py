from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "parley.reports"
    label = "reports"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from parley.cases.signals import case_recorded
        from parley.reports.spans import case_recorded as keep_spans

        case_recorded.connect(keep_spans, dispatch_uid="reports.spans")
