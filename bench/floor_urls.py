"""Parley's URLs plus the floor the page benchmark compares against: one primary-key
lookup over the disagreements table, through the same middleware as every page."""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from parley.cases.models import Disagreement


def one_lookup(request: HttpRequest, pk: int) -> HttpResponse:
    reference = Disagreement.objects.filter(pk=pk).values_list("reference", flat=True).first()
    return HttpResponse(reference or "-", content_type="text/plain; charset=utf-8")


urlpatterns = [
    path("bench/one-lookup/<int:pk>/", one_lookup),
    path("", include("parley.urls")),
]
