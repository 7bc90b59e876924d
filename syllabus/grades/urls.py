"""Gradebook pages, namespace "grades", under /grades/."""

from django.urls import path

from syllabus.grades import views

app_name = "grades"

urlpatterns = [
    path("", views.mine, name="mine"),
    path("course/<str:public_id>/", views.mine_course, name="mine_course"),
    path("course/<str:public_id>/gradebook/", views.gradebook, name="gradebook"),
    path("course/<str:public_id>/gradebook/export.csv", views.export, name="export"),
    path("course/<str:public_id>/gradebook/import/", views.import_upload, name="import"),
    path(
        "course/<str:public_id>/gradebook/import/apply/",
        views.import_apply_view,
        name="import_apply",
    ),
    path("course/<str:public_id>/setup/", views.setup, name="setup"),
    path("course/<str:public_id>/setup/scale/", views.scale, name="scale"),
    path("course/<str:public_id>/setup/categories/", views.category_new, name="category_new"),
    path("course/<str:public_id>/setup/items/new/", views.item_new, name="item_new"),
    path("category/<str:public_id>/", views.category_edit, name="category_edit"),
    path("category/<str:public_id>/delete/", views.category_delete, name="category_delete"),
    path("item/<str:public_id>/", views.item_edit, name="item_edit"),
    path("item/<str:public_id>/delete/", views.item_delete, name="item_delete"),
    path("item/<str:item_id>/learner/<str:user_id>/", views.cell, name="cell"),
    path(
        "item/<str:item_id>/learner/<str:user_id>/override/",
        views.override,
        name="override",
    ),
]
