"""Redis as the shared cache (REDIS_URL): pages and roll-ups are cached there, and when
Redis goes away the site keeps serving, uncached, until it is back."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from config.settings import redis_caches
from tests.helpers import text
from tests.servers import redis_server  # noqa: F401  (a fixture)

pytestmark = pytest.mark.django_db


def pages(seed) -> list[str]:
    return [
        reverse("portal:home"),
        reverse("portal:search") + "?q=科技",
        seed.proposal.get_absolute_url(),
        reverse("portal:commitments"),
        reverse("portal:dashboard"),
    ]


@pytest.fixture
def shared_cache(settings, redis_server):  # noqa: F811
    settings.CACHES = redis_caches(redis_server.url)
    yield redis_server
    cache.close()


def test_pages_are_cached_in_redis(client, seed, shared_cache):
    for url in pages(seed):
        first = client.get(url)
        assert first.status_code == 200
        assert text(client.get(url)) == text(first)
    assert shared_cache.client().dbsize() >= len(pages(seed))


def test_pages_answer_while_redis_is_down_and_cache_again_when_it_is_back(
    client, seed, shared_cache
):
    for url in pages(seed):
        assert client.get(url).status_code == 200
    shared_cache.stop()
    for url in pages(seed):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "提案" in text(response)
        # Conditional requests still work: the version comes from the database.
        again = client.get(url, HTTP_IF_NONE_MATCH=response["ETag"])
        assert again.status_code == 304
    shared_cache.start()  # back, empty
    cache.close()  # the pool's dead connections are dropped; the next call reconnects
    for url in pages(seed):
        assert client.get(url).status_code == 200
    assert shared_cache.client().dbsize() >= 1
