from django.urls import include, path

from parley.web import views

# Django's default 404 and 500 handlers render templates/404.html and
# templates/500.html from parley.web.
urlpatterns = [
    path("", include("parley.web.urls_cases")),
    path("", include("parley.web.urls_procedures")),
    path("healthz", views.healthz, name="healthz"),
    path("", include("parley.accounts.urls")),
    path("audit/", include("parley.audit.urls")),
    path("closure-days/", include("parley.web.urls_closures")),
    path("directory/", include("parley.directory.urls")),
    path("notifications/", include("parley.notifications.urls")),
    path("reports/", include("parley.reports.urls")),
    path("api/", include("parley.api.urls")),
]
