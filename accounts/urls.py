from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.login, name="login"),
    path("login/send-code/", views.login_send_code, name="login_send_code"),
    path("login/create/", views.create_account, name="create_account"),
    path("register/", views.register, name="register"),
    path("register/send-code/", views.register_send_code, name="register_send_code"),
    path("captcha.png", views.captcha_image, name="captcha_image"),
    path("captcha/", views.captcha_refresh, name="captcha_refresh"),
    path("logout/", views.logout, name="logout"),
    path("profile/", views.profile, name="profile"),
    path("profile/real-name/", views.verify_real_name, name="verify_real_name"),
    path("profile/consent/", views.sensitive_consent, name="sensitive_consent"),
    path("profile/access/", views.access_events, name="access_events"),
    path("consent/", views.consent_page, name="consent"),
    path("profile/phone/confirm/", views.confirm_phone, name="confirm_phone"),
    path(
        "profile/phone/confirm/send-code/",
        views.confirm_phone_send_code,
        name="confirm_phone_send_code",
    ),
    path("profile/phone/", views.change_phone, name="change_phone"),
    path("profile/phone/send-code/", views.change_phone_send_code, name="change_phone_send_code"),
]
