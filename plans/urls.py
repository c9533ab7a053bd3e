from django.urls import path

from plans import views

app_name = "plans"

urlpatterns = [
    path("", views.home, name="home"),
    path("plans/<int:plan_id>/announcement/", views.announcement, name="announcement"),
]
