"""Case work: home, raising, the case page and its actions, the register."""

from django.urls import URLPattern, path

from parley.web import views, views_cases, views_cases_raise, views_cases_register

urlpatterns: list[URLPattern] = [
    path("", views.home, name="home"),
    path("raise/", views_cases_raise.raise_start, name="raise_start"),
    path("raise/check-your-answers/", views_cases_raise.raise_check, name="raise_check"),
    path("raise/confirmation/", views_cases_raise.raise_confirmation, name="raise_confirmation"),
    path(
        "raise/where-to-go-instead/<slug:kind>/",
        views_cases_raise.raise_signpost,
        name="raise_signpost",
    ),
    path("raise/<slug:slug>/", views_cases_raise.raise_step, name="raise_step"),
    path("cases/<str:reference>/", views_cases.case_detail, name="case_detail"),
    path(
        "cases/<str:reference>/evidence/<str:token>/",
        views_cases.evidence_download,
        name="case_evidence",
    ),
    path("cases/<str:reference>/<slug:action>/", views_cases.case_action, name="case_action"),
    path("register/", views_cases_register.register, name="register"),
    path("register.csv", views_cases_register.register_csv, name="register_csv"),
]
