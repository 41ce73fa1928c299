from django.urls import URLPattern, path

from parley.notifications import views

app_name = "notifications"
urlpatterns: list[URLPattern] = [
    path("", views.notification_list, name="list"),
    path("mine/", views.notification_mine, name="mine"),
    path("retry-failed/", views.notification_retry_all, name="retry_all"),
    path("<int:pk>/retry/", views.notification_retry_view, name="retry"),
]
