"""replies.services.publication: publishing and unpublishing a reply."""

import pytest

from replies.services import publication

pytestmark = pytest.mark.django_db


def test_publish_and_unpublish(reply):
    publication.withdraw_reply(reply=reply, reason="测试：撤回", actor=None)
    reply.refresh_from_db()
    assert not reply.is_published
    publication.publish_reply(reply=reply)
    reply.refresh_from_db()
    assert reply.is_published
