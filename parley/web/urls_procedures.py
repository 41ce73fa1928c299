"""Procedures, readable; and the documents generated for a case."""

from django.urls import URLPattern, path

from parley.web import views_procedures, views_publishing
from parley.web.documents import views as document_views

urlpatterns: list[URLPattern] = [
    path("publishing/", views_publishing.versions, name="publishing_versions"),
    path("publishing/new/", views_publishing.publish_start, name="publishing_new"),
    path("publishing/publish/", views_publishing.publish, name="publishing_publish"),
    path(
        "publishing/versions/<int:pk>.yaml",
        views_publishing.version_download,
        name="publishing_download",
    ),
    path(
        "publishing/<slug:procedure_id>/move/",
        views_publishing.move_cases,
        name="publishing_move",
    ),
    path("procedures/", views_procedures.procedure_list, name="procedure_list"),
    path(
        "procedures/<slug:procedure_id>/",
        views_procedures.procedure_detail,
        name="procedure_detail",
    ),
    path(
        "procedures/<slug:procedure_id>/dates/",
        views_procedures.procedure_dates,
        name="procedure_dates",
    ),
    path(
        "procedures/<slug:procedure_id>/flowchart.svg",
        views_procedures.procedure_flowchart,
        name="procedure_flowchart",
    ),
    path(
        "cases/<str:reference>/documents/<slug:form_id>.<slug:fmt>",
        document_views.case_document,
        name="case_document",
    ),
]
