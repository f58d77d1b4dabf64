"""Who may change what, for the replies app's objects, beyond the models' access rules."""

from replies.models import CommitmentItem


def can_post_progress(user, commitment: CommitmentItem) -> bool:
    """Staff who may work on the commitment (the office: any; a clerk: their department's)
    and hold the permission to add updates."""
    if not user.is_authenticated or not user.is_staff:
        return False
    if not user.has_perm("replies.add_commitmentupdate"):
        return False
    return CommitmentItem.objects.editable_by(user).filter(pk=commitment.pk).exists()
