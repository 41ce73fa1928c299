from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "parley.web"
    label = "parley_web"
    verbose_name = "Parley web"
