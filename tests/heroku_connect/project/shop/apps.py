from django.apps import AppConfig


class ShopConfig(AppConfig):
    name = "tests.heroku_connect.project.shop"
    label = "shop"
