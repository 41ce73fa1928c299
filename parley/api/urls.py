from django.urls import path, re_path

from parley.api import http, views

urlpatterns = [
    path("openapi.json", views.openapi, name="api_openapi"),
    path("v1/disagreements", views.disagreements, name="api_disagreements"),
    path("v1/disagreements/<str:reference>", views.disagreement, name="api_disagreement"),
    path("v1/disagreements/<str:reference>/events", views.disagreement_events),
    path("v1/disagreements/<str:reference>/deadlines", views.disagreement_deadlines),
    path("v1/disagreements/<str:reference>/actions", views.disagreement_actions),
    path("v1/procedures", views.procedures),
    path("v1/procedures/<str:procedure_id>", views.procedure),
    path("v1/directory/agencies", views.directory_agencies),
    path("v1/directory/people", views.directory_people),
    # Anything else under /api/ answers in the API's own error shape, never an HTML page.
    re_path(r"^(?P<path>.*)$", http.not_found),
]
