from django.urls import path

from . import views

app_name = "demo"

urlpatterns = [
    path("demo/registration/", views.registration, name="registration"),
    path("demo/registration/new/", views.register, name="register"),
    path("demo/registration/<int:pk>/enter/", views.enter, name="enter"),
]
