"""The signed links in reminder mail: confirming an address, and unsubscribing in one click.

Signed with the secret key, so nobody can make one for another person; neither needs the
person to be signed in, because the mailbox they reach is the proof.
"""

from datetime import timedelta

from django.core import signing

CONFIRMATION_DAYS = 3
CONFIRMATION_MAX_AGE = timedelta(days=CONFIRMATION_DAYS)
CONFIRM_SALT = "reminders.confirm"
UNSUBSCRIBE_SALT = "reminders.unsubscribe"


def confirmation_token(profile):
    """Names the person and the address, so a link for an earlier address confirms nothing."""
    return signing.dumps([profile.user_id, profile.reminder_email], salt=CONFIRM_SALT)


def read_confirmation(token):
    """(user id, address); raises signing.SignatureExpired or signing.BadSignature."""
    user_id, address = signing.loads(token, salt=CONFIRM_SALT, max_age=CONFIRMATION_MAX_AGE)
    return user_id, address


def unsubscribe_token(user_id, kind):
    """The same for every message, and never expires: an unsubscribe link in an old message
    must still work (RFC 8058)."""
    return signing.Signer(salt=UNSUBSCRIBE_SALT).sign_object([user_id, kind])


def read_unsubscribe(token):
    """(user id, kind); raises signing.BadSignature."""
    user_id, kind = signing.Signer(salt=UNSUBSCRIBE_SALT).unsign_object(token)
    return user_id, kind
