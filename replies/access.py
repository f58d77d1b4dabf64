"""Who may change what, for the replies app's objects."""

from core.roles import clerk_department_id


def can_post_progress(user, commitment) -> bool:
    """Office staff on any commitment; a clerk on their own department's only."""
    if not user.is_authenticated or not user.is_staff:
        return False
    department = clerk_department_id(user)
    if department is not None:
        return commitment.owner_id == department and user.has_perm("replies.add_commitmentupdate")
    return user.has_perm("replies.add_commitmentupdate")
