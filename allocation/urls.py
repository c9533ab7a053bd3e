from django.urls import path

# The `code` converter (registration numbers, verification codes) is registered there.
import applications.urls  # noqa: F401
from allocation import views

app_name = "allocation"

urlpatterns = [
    path("plans/<int:plan_id>/hall/", views.hall, name="hall"),
    path("plans/<int:plan_id>/hall/screen/", views.hall_screen, name="hall_screen"),
    path("plans/<int:plan_id>/hall/board/", views.hall_board, name="hall_board"),
    path("plans/<int:plan_id>/hall/results/", views.results, name="results"),
    path("allocation/verify/<code:code>/", views.verify, name="verify"),
    path("allocation/<code:number>/", views.turn, name="turn"),
    path("allocation/<code:number>/homes/<int:home_id>/", views.choose, name="choose"),
    path("allocation/<code:number>/give-up/", views.give_up, name="give_up"),
    path("allocation/<code:number>/confirmation.pdf", views.confirmation, name="confirmation"),
    path("allocation/<code:number>/signing/", views.book, name="book"),
]
