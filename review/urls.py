from django.urls import path

from . import views

app_name = "review"

urlpatterns = [
    path("login/", views.login, name="login"),
    path("logout/", views.logout, name="logout"),
    path("", views.queue, name="queue"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("c/<int:pk>/", views.candidate, name="candidate"),
    path("c/<int:pk>/next/", views.next_candidate, name="next"),
    path("c/<int:pk>/decide/", views.decide, name="decide"),
    path("c/<int:pk>/approve-remaining/", views.approve_remaining, name="approve_remaining"),
    path("c/<int:pk>/note/", views.note, name="note"),
    path("c/<int:pk>/shown/", views.photos_shown, name="photos_shown"),
    path("c/<int:pk>/release/", views.release, name="release"),
    path("c/<int:pk>/photo/<int:image_pk>/approve/", views.image_approve, name="image_approve"),
    path("c/<int:pk>/photo/<int:image_pk>/return/", views.image_return, name="image_return"),
    path("c/<int:pk>/hint/<int:hint_pk>/wrong/", views.hint_wrong, name="hint_wrong"),
]
