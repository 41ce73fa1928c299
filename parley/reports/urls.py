"""The board's reports, the learning log and trying a procedure change on the past."""

from django.urls import URLPattern, path, re_path

from parley.reports import views

app_name = "reports"
urlpatterns: list[URLPattern] = [
    path("", views.report_index, name="index"),
    path("learning/", views.learning_log, name="learning"),
    path("learning/<int:pk>/", views.learning_edit, name="learning_item"),
    path("learning/add/<int:event_id>/", views.learning_add, name="learning_add"),
    path("settings/", views.report_settings, name="settings"),
    path("<slug:procedure_id>/", views.report_page, name="report"),
    path("<slug:procedure_id>/period/", views.period_choose, name="period"),
    path("<slug:procedure_id>/cases/", views.report_cases, name="cases"),
    path("<slug:procedure_id>/what-if/", views.what_if, name="what_if"),
    re_path(
        r"^(?P<procedure_id>[-a-zA-Z0-9_]+)/report\.(?P<fmt>pdf|csv|xlsx)$",
        views.report_export,
        name="export",
    ),
]
