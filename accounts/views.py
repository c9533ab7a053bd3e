# Placeholder views: the accounts issue replaces them with SMS sign-up and login.
from django.contrib.auth import logout as auth_logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST


def login(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/placeholder.html", {"title": "登录"})


def register(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/placeholder.html", {"title": "注册"})


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    auth_logout(request)
    return redirect("plans:home")


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/placeholder.html", {"title": "基本信息"})
