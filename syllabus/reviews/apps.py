from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "syllabus.reviews"
    label = "reviews"
    verbose_name = "Access reviews"
