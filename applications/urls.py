from django.urls import path

from applications import views

app_name = "applications"

urlpatterns = [
    path("plans/<int:plan_id>/info/", views.fill, name="fill"),
    path("plans/<int:plan_id>/register/", views.register, name="register"),
    path("records/", views.records, name="records"),
]
