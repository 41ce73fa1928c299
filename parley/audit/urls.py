from django.urls import URLPattern, path

from parley.audit import views

app_name = "audit"
urlpatterns: list[URLPattern] = [
    path("", views.entries, name="entries"),
    path("export.csv", views.entries_export, name="export"),
    path("refusals/", views.refusals, name="refusals"),
    path("cases/<str:reference>/viewers/", views.case_viewers_page, name="case_viewers"),
]
