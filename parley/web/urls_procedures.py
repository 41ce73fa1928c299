"""Procedures, readable; and the documents generated for a case."""

from django.urls import URLPattern, path

from parley.web import views_procedures
from parley.web.documents import views as document_views

urlpatterns: list[URLPattern] = [
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
