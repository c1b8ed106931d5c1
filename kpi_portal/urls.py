from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import path
from django.views.generic import RedirectView
from django.views.i18n import set_language

from indicators import views as indicator_views
from reports import views as report_views

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="indicator_list"), name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("indicators/", indicator_views.indicator_list, name="indicator_list"),
    path("indicators/<int:pk>/", report_views.indicator_detail, name="indicator_detail"),
    path("indicators/<int:pk>/pdf/", report_views.indicator_pdf, name="indicator_pdf"),
    path("admin/", admin.site.urls),
]
