from django.urls import URLPattern, path

from parley.directory import views

app_name = "directory"
urlpatterns: list[URLPattern] = [
    path("", views.directory, name="list"),
    path("import/", views.import_upload, name="import"),
    path("import/confirm/", views.import_confirm, name="import-confirm"),
    path("export.csv", views.export_csv, name="export"),
    path("people/<int:pk>/", views.person_account, name="person"),
]
