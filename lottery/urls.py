from django.urls import path

from lottery import views

app_name = "lottery"

urlpatterns = [
    path("plans/<int:plan_id>/lottery/", views.result, name="result"),
    path("plans/<int:plan_id>/lottery/entries.txt", views.entries_txt, name="entries"),
    path("plans/<int:plan_id>/lottery/seed.txt", views.seed_txt, name="seed_txt"),
    path("plans/<int:plan_id>/lottery/result.txt", views.result_txt, name="result_txt"),
    path("lottery/verify.py", views.verifier, name="verifier"),
]
