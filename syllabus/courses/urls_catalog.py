"""Course pages: catalog. Included by syllabus.courses.urls (namespace "courses")."""

from django.urls import URLPattern, path, re_path

from syllabus.courses import views_catalog

# Course public ids look like crs_5k2m...: matching only those leaves other words under
# /courses/ (teach/, categories/...) to their own views, whatever the include order.
COURSE = r"(?P<public_id>crs_[0-9a-z]{1,40})"

urlpatterns: list[URLPattern] = [
    path("", views_catalog.catalog, name="catalog"),
    path("categories/", views_catalog.categories, name="categories"),
    path("categories/<slug:slug>/edit/", views_catalog.category_edit, name="category_edit"),
    path(
        "categories/<slug:slug>/delete/",
        views_catalog.category_delete_view,
        name="category_delete",
    ),
    re_path(rf"^{COURSE}/$", views_catalog.course_detail, name="detail"),
    re_path(rf"^{COURSE}/image$", views_catalog.course_image, name="image"),
]
