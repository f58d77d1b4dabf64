from django.contrib.sitemaps import Sitemap

from proposals.models import Department
from replies.selectors import public_proposals, public_replies


class ProposalSitemap(Sitemap):
    changefreq = "weekly"
    limit = 10000

    def items(self):
        return (
            public_proposals()
            .select_related("session__committee")
            .only(
                "number",
                "slug",
                "updated_at",
                "session__term",
                "session__meeting",
                "session__year",
                "session__committee__slug",
            )
            .order_by("pk")
        )

    def lastmod(self, item):
        return item.updated_at


class DepartmentSitemap(Sitemap):
    changefreq = "weekly"

    def items(self):
        return Department.objects.filter(pk__in=public_replies().values("department")).order_by(
            "pk"
        )


SITEMAPS = {"proposals": ProposalSitemap, "departments": DepartmentSitemap}
