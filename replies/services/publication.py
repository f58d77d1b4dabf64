"""Publishing and withdrawing replies."""

import datetime

from django.db import transaction
from django.utils import timezone

from replies.models import Reply
from replies.services.indexing import reindex_proposals
from replies.services.notifications import notify_proposers_of_reply


@transaction.atomic
def publish_reply(*, reply: Reply, when: datetime.datetime | None = None) -> Reply:
    was_public = reply.is_published
    reply.published_at = when or timezone.now()
    reply.save(update_fields=["published_at", "updated_at"])
    reindex_proposals([reply.proposal_id])
    if not was_public and reply.is_published:
        transaction.on_commit(lambda: notify_proposers_of_reply(reply))
    return reply


@transaction.atomic
def unpublish_reply(*, reply: Reply) -> Reply:
    reply.published_at = None
    reply.save(update_fields=["published_at", "updated_at"])
    reindex_proposals([reply.proposal_id])
    return reply
