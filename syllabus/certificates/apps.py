from django.apps import AppConfig


class CertificatesConfig(AppConfig):
    name = "syllabus.certificates"
    label = "certificates"
    verbose_name = "Certificates"
