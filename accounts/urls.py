from django.urls import path

from . import staff_views, views

app_name = "accounts"

urlpatterns = [
    path("", views.home, name="home"),
    path("entry/", views.entry, name="entry"),
    path("entry/needed/", views.entry_needed, name="entry_needed"),
    path("activate/", views.activate, name="activate"),
    path("activate/confirm/", views.activate_confirm, name="activate_confirm"),
    path("activate/consent/", views.activate_consent, name="activate_consent"),
    path("activate/phone/", views.activate_phone, name="activate_phone"),
    path("activate/address/", views.activate_address, name="activate_address"),
    path("profile/", views.profile, name="profile"),
    path("profile/phone/", views.profile_phone, name="profile_phone"),
    path("profile/address/", views.profile_address, name="profile_address"),
    path(
        "registration-changes/dismiss/",
        views.registration_changes_dismiss,
        name="registration_changes_dismiss",
    ),
    path("logout/", views.logout, name="logout"),
    path("language/", views.set_language, name="set_language"),
    path("handoff/", views.handoff_new, name="handoff_new"),
    path("handoff/<int:pk>/status/", views.handoff_status, name="handoff_status"),
    path("m/<str:token>/", views.handoff_open, name="handoff_open"),
    # A new staff account's one-time link, then the second factor (accounts.staff_views).
    path("staff/welcome/<str:token>/", staff_views.staff_welcome, name="staff_welcome"),
    path("staff/2fa/", staff_views.otp_verify, name="staff_otp_verify"),
    path("staff/2fa/setup/", staff_views.otp_setup, name="staff_otp_setup"),
    path(
        "staff/2fa/recovery-codes/",
        staff_views.otp_recovery_codes,
        name="staff_otp_recovery_codes",
    ),
]
