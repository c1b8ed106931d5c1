from django.contrib.auth import views as auth_views
from django.urls import path

from kpi_portal import language_views, session_views

urlpatterns = [
    path("accounts/login/", session_views.SignInView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/setlang/", language_views.set_language, name="set_language"),
    path("session/keepalive/", session_views.keepalive, name="session_keepalive"),
]
