"""Course pages: enrolment. Included by syllabus.courses.urls (namespace "courses")."""

from django.urls import URLPattern, re_path

from syllabus.courses import views_enrolment as views

# Only real public ids match (crs_..., usr_..., coh_..., imp_...), so these never shadow
# other areas' words under /courses/, whatever the include order.
COURSE = r"(?P<public_id>crs_[0-9a-z]{1,40})"
USER = r"(?P<user_id>usr_[0-9a-z]{1,40})"
COHORT = r"(?P<cohort_id>coh_[0-9a-z]{1,40})"
IMPORT = r"(?P<import_id>imp_[0-9a-z]{1,40})"

urlpatterns: list[URLPattern] = [
    re_path(rf"^{COURSE}/enrol/$", views.enrol, name="enrol"),
    re_path(rf"^{COURSE}/leave/$", views.leave, name="enrol_leave"),
    re_path(rf"^{COURSE}/waitlist/join/$", views.waitlist_join, name="waitlist_join"),
    re_path(rf"^{COURSE}/waitlist/leave/$", views.waitlist_leave, name="waitlist_leave"),
    re_path(rf"^{COURSE}/people/$", views.people, name="people"),
    re_path(rf"^{COURSE}/people/add/$", views.people_add, name="people_add"),
    re_path(rf"^{COURSE}/people/cohort/$", views.people_cohort, name="people_cohort"),
    re_path(rf"^{COURSE}/people/import/$", views.import_upload, name="people_import"),
    re_path(
        rf"^{COURSE}/people/import/{IMPORT}/$",
        views.import_preview,
        name="people_import_preview",
    ),
    re_path(
        rf"^{COURSE}/people/waitlist/{USER}/remove/$",
        views.waitlist_remove,
        name="people_waitlist_remove",
    ),
    re_path(rf"^{COURSE}/people/{USER}/$", views.member, name="people_member"),
    re_path(rf"^{COURSE}/people/{USER}/remove/$", views.member_remove, name="people_remove"),
    re_path(rf"^{COURSE}/cohorts/$", views.cohorts, name="cohorts"),
    re_path(rf"^{COURSE}/cohorts/{COHORT}/$", views.cohort_edit, name="cohort_edit"),
    re_path(rf"^{COURSE}/cohorts/{COHORT}/delete/$", views.cohort_delete, name="cohort_delete"),
]
