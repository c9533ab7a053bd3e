# Placeholder views: the applicant-journey issue replaces them.
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


@login_required
def fill(request: HttpRequest, plan_id: int) -> HttpResponse:
    return render(request, "accounts/placeholder.html", {"title": "信息填报"})


@login_required
def register(request: HttpRequest, plan_id: int) -> HttpResponse:
    return render(request, "accounts/placeholder.html", {"title": "配租登记"})


@login_required
def records(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/placeholder.html", {"title": "配租记录"})
