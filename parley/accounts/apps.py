from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "parley.accounts"
    label = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from parley.accounts.demo import demo_second_factors
        from parley.cases.demo import demo_after_load

        demo_after_load("second factors", demo_second_factors)
