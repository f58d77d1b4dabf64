from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _reindex(sender, proposal_ids, **kwargs) -> None:
    from replies.services.indexing import reindex_proposals

    reindex_proposals(proposal_ids)


class RepliesConfig(AppConfig):
    name = "replies"
    verbose_name = _("答复与承诺")

    def ready(self) -> None:
        from proposals.services import public_text_changed

        # A public proposal's own text changed: its search entry follows, in the same
        # transaction (the proposals app cannot call the replies app's indexing).
        public_text_changed.connect(_reindex, dispatch_uid="replies.reindex_proposal")
