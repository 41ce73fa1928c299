from django.urls import URLPattern, path

from parley.notifications import development, views

app_name = "notifications"
urlpatterns: list[URLPattern] = [
    path("", views.notification_list, name="list"),
    path("mine/", views.notification_mine, name="mine"),
    # Development only: the view answers "Page not found" in production.
    path("development-mail/", development.development_mail, name="development_mail"),
    path("retry-failed/", views.notification_retry_all, name="retry_all"),
    path("<int:pk>/retry/", views.notification_retry_view, name="retry"),
]
