from django.contrib.sitemaps.views import sitemap
from django.urls import path

from proposals import feeds, views
from proposals.sitemaps import SITEMAPS

app_name = "proposals"

urlpatterns = [
    path("", views.home, name="home"),
    path("proposals/", views.proposal_search, name="search"),
    path("p/<str:committee>/<str:session>/<str:number>/", views.proposal_detail, name="detail"),
    path(
        "p/<str:committee>/<str:session>/<str:number>/data.json",
        views.proposal_json,
        name="detail-json",
    ),
    path("commitments/", views.commitment_list, name="commitments"),
    path("commitments/export.csv", views.commitment_export_csv, name="commitments-csv"),
    path("commitments/export.json", views.commitment_export_json, name="commitments-json"),
    path("departments/<int:pk>/", views.department_detail, name="department"),
    path("feeds/replies/", feeds.LatestRepliesFeed(), name="feed"),
    path("feeds/departments/<int:pk>/", feeds.DepartmentRepliesFeed(), name="department-feed"),
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
    path("robots.txt", views.robots_txt, name="robots"),
]
