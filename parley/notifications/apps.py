from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "parley.notifications"
    label = "notifications"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from parley.cases.hooks import after_change
        from parley.notifications.services import case_changed

        after_change("notifications.outbox", case_changed, order=20)
