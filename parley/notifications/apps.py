from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "parley.notifications"
    label = "notifications"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registers the room's background tasks by name (parley.cases.hooks.in_background).
        import parley.notifications.tasks  # noqa: F401
        from parley.cases.hooks import after_change
        from parley.notifications.services import case_changed

        after_change("notifications.outbox", case_changed, order=20)
