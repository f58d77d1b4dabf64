from django.contrib.auth import views as auth_views
from django.contrib.sitemaps.views import sitemap
from django.urls import path, reverse_lazy

from portal import feeds
from portal.sitemaps import SITEMAPS
from portal.views import dashboard, exports, members, public, staff

app_name = "portal"

urlpatterns = [
    path("", public.home, name="home"),
    path("proposals/", public.proposal_search, name="search"),
    path("p/<str:committee>/<str:session>/<str:number>/", public.proposal_detail, name="detail"),
    path(
        "p/<str:committee>/<str:session>/<str:number>/data.json",
        public.proposal_json,
        name="detail-json",
    ),
    path("commitments/", public.commitment_list, name="commitments"),
    path("commitments/export.csv", exports.commitment_export_csv, name="commitments-csv"),
    path("commitments/export.json", exports.commitment_export_json, name="commitments-json"),
    path("departments/<int:pk>/", public.department_detail, name="department"),
    path("feeds/replies/", feeds.LatestRepliesFeed(), name="feed"),
    path("feeds/departments/<int:pk>/", feeds.DepartmentRepliesFeed(), name="department-feed"),
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
    path("robots.txt", public.robots_txt, name="robots"),
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("dashboard/<str:table>.csv", dashboard.dashboard_csv, name="dashboard-csv"),
    path("me/", members.my_proposals, name="mine"),
    path("me/replies/<int:pk>/rate/", members.rate_reply, name="rate"),
    path("me/notifications/", members.update_notifications, name="notifications"),
    path("staff/", staff.work_queue, name="queue"),
    path("staff/commitments/<int:pk>/progress/", staff.post_progress, name="progress"),
    path("accounts/login/", members.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Django's password reset, in Chinese (console e-mail when DJANGO_DEBUG is on).
    path(
        "accounts/password-reset/",
        members.PasswordResetView.as_view(),
        name="password-reset",
    ),
    path(
        "accounts/password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="portal/password_reset_done.html"),
        name="password-reset-done",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="portal/password_reset_confirm.html",
            success_url=reverse_lazy("portal:password-reset-complete"),
        ),
        name="password-reset-confirm",
    ),
    path(
        "accounts/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="portal/password_reset_complete.html"
        ),
        name="password-reset-complete",
    ),
]
