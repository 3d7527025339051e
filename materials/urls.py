from django.urls import path

from . import views

app_name = "materials"

urlpatterns = [
    path("", views.material_page, name="page"),
    path("help/", views.help_page, name="help"),
    path("category/<int:category_id>/", views.category_fragment, name="category"),
    path("category/<int:category_id>/upload/", views.category_upload, name="upload"),
    path("photo/<int:pk>/delete/", views.photo_delete, name="delete"),
    path("image/<int:pk>/<str:variant>/", views.image_file, name="image"),
    path("example/<int:category_id>/", views.example_page, name="example_page"),
    path("example/<int:category_id>/image/", views.example_image, name="example"),
    path("attachment/<int:category_id>/", views.attachment, name="attachment"),
]
