"""Parley's URLs plus the floors the page benchmark compares against: one primary-key
lookup over the disagreements table, through the same middleware as every page, signed
in and not (under /healthz, which needs no sign-in)."""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from parley.cases.models import Disagreement


def one_lookup(request: HttpRequest, pk: int) -> HttpResponse:
    reference = Disagreement.objects.filter(pk=pk).values_list("reference", flat=True).first()
    return HttpResponse(reference or "-", content_type="text/plain; charset=utf-8")


urlpatterns = [
    path("bench/one-lookup/<int:pk>/", one_lookup),
    path("healthz/floor/one-lookup/<int:pk>/", one_lookup),
    path("", include("parley.urls")),
]
