from django.contrib.auth import views as auth_views
from django.urls import path

from replies import views

app_name = "replies"

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/<str:table>.csv", views.dashboard_csv, name="dashboard-csv"),
    path("me/", views.my_proposals, name="mine"),
    path("me/replies/<int:pk>/rate/", views.rate_reply, name="rate"),
    path("staff/commitments/<int:pk>/progress/", views.post_progress, name="progress"),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
]
