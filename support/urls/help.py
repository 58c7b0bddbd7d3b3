"""The help centre (included under /help/): articles, search, the assistant."""

from django.urls import path

from support.views import help as help_views

app_name = "help"

urlpatterns = [
    path("", help_views.help_home, name="home"),
    path("articles/<slug:slug>/", help_views.article, name="article"),
    path("categories/<slug:slug>/", help_views.category, name="category"),
    path("ask/", help_views.ask, name="ask"),
    path("ask/<int:conversation_id>/", help_views.conversation, name="conversation"),
    path("ask/<int:conversation_id>/feedback/", help_views.feedback, name="feedback"),
]
