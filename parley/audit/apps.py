from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "parley.audit"
    label = "audit"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from parley.audit.services import case_changed, cases_imported, procedure_published
        from parley.cases.hooks import after_change, after_import, after_publish

        # Last: an audit append holds the trail's next number until the change commits.
        after_change("audit.trail", case_changed, order=100)
        after_import("audit.trail", cases_imported, order=100)
        after_publish("audit.trail", procedure_published, order=100)
