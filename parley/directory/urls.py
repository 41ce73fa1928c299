from django.urls import URLPattern, path

from parley.directory import views

app_name = "directory"
urlpatterns: list[URLPattern] = [
    path("", views.directory, name="list"),
    path("import/", views.import_upload, name="import"),
    path("import/confirm/", views.import_confirm, name="import-confirm"),
    path("export.csv", views.export_csv, name="export"),
    path("people/<int:pk>/", views.person_account, name="person"),
    path("people/<int:pk>/change/", views.person_change_view, name="person-change"),
    path("roles/add/", views.role_add, name="role-add"),
    path("roles/<int:pk>/end/", views.role_end_view, name="role-end"),
    path("agencies/add/", views.agency_edit, name="agency-add"),
    path("agencies/<int:pk>/change/", views.agency_edit, name="agency-change"),
]
