"""Course pages under /courses/, namespace "courses"; each area keeps its own list."""

from syllabus.courses import urls_announcements, urls_authoring, urls_catalog, urls_enrolment

app_name = "courses"

urlpatterns = [
    *urls_catalog.urlpatterns,
    *urls_authoring.urlpatterns,
    *urls_enrolment.urlpatterns,
    *urls_announcements.urlpatterns,
]
