from django.apps import AppConfig


class DeskConfig(AppConfig):
    name = "rapport.desk"
    label = "desk"
