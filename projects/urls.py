from django.urls import path

from projects import views

app_name = "projects"

urlpatterns = [
    path("<int:project_id>/", views.detail, name="detail"),
    path("<int:project_id>/floorplans/<int:floor_plan_id>/", views.floor_plan, name="floor_plan"),
]
