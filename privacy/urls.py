from django.urls import path

from privacy import views

app_name = "privacy"

urlpatterns = [
    path("rules/", views.rules, name="rules"),
    path("rules/v<int:number>/", views.rules, name="rules_version"),
    path("my-data/", views.export, name="export"),
    path("my-data/send-code/", views.export_send_code, name="export_send_code"),
    path("my-data/list/", views.export_list, name="export_list"),
    path("my-data/<str:token>/", views.export_download, name="export_download"),
    path("close/", views.close, name="close"),
    path("close/send-code/", views.close_send_code, name="close_send_code"),
    path("closed/", views.closed, name="closed"),
]
