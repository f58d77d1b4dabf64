"""How long a login lasts: staff sessions end STAFF_SESSION_HOURS after logging in."""

import datetime

from django.conf import settings
from django.utils import timezone


def limit_staff_session(sender, request, user, **kwargs) -> None:
    """``user_logged_in`` receiver: a staff user's session expires at a fixed time,
    ``STAFF_SESSION_HOURS`` after this login — not after the last request, so an active
    session does not last for ever. Members' sessions keep Django's default age."""
    if request is None or not user.is_staff:
        return
    hours = datetime.timedelta(hours=settings.STAFF_SESSION_HOURS)
    request.session.set_expiry(timezone.now() + hours)
