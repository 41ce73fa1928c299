"""The partnership's closure days (parley.web.views_closures)."""

from django.urls import URLPattern, path

from parley.web import views_closures

urlpatterns: list[URLPattern] = [
    path("", views_closures.closure_list, name="closure_list"),
    path("add/", views_closures.closure_add, name="closure_add"),
    path("confirm/", views_closures.closure_confirm, name="closure_confirm"),
    path("<str:day>/remove/", views_closures.closure_remove, name="closure_remove"),
]
