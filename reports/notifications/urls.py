from django.urls import path

from reports.notifications import views

urlpatterns = [
    path("", views.notification_list, name="notification_list"),
    path("<int:pk>/open/", views.notification_open, name="notification_open"),
    path("read/", views.notification_mark_all_read, name="notification_mark_all_read"),
    path("preferences/", views.notification_preferences, name="notification_preferences"),
    path("unsubscribe/<str:token>/", views.notification_unsubscribe, name="notification_unsubscribe"),
]
