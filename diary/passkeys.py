"""Passkeys (WebAuthn) through py_webauthn: the options a browser needs, and checking its answer.

Every ceremony takes two requests. The first gets options with a fresh challenge, kept in the
session; the second brings the browser's answer, which must sign that challenge (used once,
within CEREMONY_SECONDS) for this site's relying party (settings.PASSKEY_RP_ID), from the page's
own address or a trusted origin.
"""

import secrets
import time

from django.conf import settings
from django.http.request import split_domain_port
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import (
    base64url_to_bytes,
    bytes_to_base64url,
    parse_authentication_credential_json,
    parse_registration_credential_json,
)
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from .models import Passkey

# What a ceremony is for. Signing in with a passkey alone needs the phone's own lock (user
# verification); as a second step or to confirm a change, having the passkey is enough.
REGISTER = "register"
SIGN_IN = "sign-in"
SECOND_STEP = "second-step"
CONFIRM = "confirm"
CEREMONY_SECONDS = 5 * 60
CEREMONY = "passkey_ceremony"
RP_NAME = "cramplog"

EXPIRED = "The passkey request expired or was used already. Please try again."
NOT_CHECKED = "That passkey could not be checked. Please try again."
UNKNOWN = "That passkey is not one this site knows for you."
COPIED = "That passkey was refused: its use counter went backwards, as a copied key’s would."


class PasskeyError(Exception):
    """An answer that does not prove a passkey; `passkey` is the one it claimed, if known."""

    def __init__(self, message, passkey=None, unknown_id=None):
        super().__init__(message)
        self.passkey = passkey
        self.unknown_id = unknown_id


def work_here(request):
    """Whether this page's address can use passkeys: the relying party or one of its subdomains."""
    domain, _port = split_domain_port(request.get_host())
    rp_id = settings.PASSKEY_RP_ID
    return bool(rp_id) and (domain == rp_id or domain.endswith(f".{rp_id}"))


def support(request):
    """For templates: whether passkeys work here, and if not, the address where they would."""
    rp_id = settings.PASSKEY_RP_ID
    if work_here(request) or not rp_id:
        return {"here": work_here(request), "address": None, "rp_id": rp_id}
    _domain, port = split_domain_port(request.get_host())
    host = f"{rp_id}:{port}" if port else rp_id
    address = f"{request.scheme}://{host}{request.get_full_path()}"
    return {"here": False, "address": address, "rp_id": rp_id}


def origins(request):
    """Where an answer may come from: the page's own address, and the trusted origins."""
    return [f"{request.scheme}://{request.get_host()}", *settings.CSRF_TRUSTED_ORIGINS]


def descriptor(passkey):
    return PublicKeyCredentialDescriptor(
        id=base64url_to_bytes(passkey.credential_id),
        transports=[AuthenticatorTransport(name) for name in passkey.transports] or None,
    )


def begin(request, purpose, challenge, **details):
    request.session[CEREMONY] = {
        "purpose": purpose,
        "challenge": bytes_to_base64url(challenge),
        "started": time.time(),
        **details,
    }


def end(request, purpose):
    """The session's ceremony for this purpose, removed so that its challenge is used once."""
    ceremony = request.session.pop(CEREMONY, None)
    if (
        not ceremony
        or ceremony["purpose"] != purpose
        or time.time() - ceremony["started"] > CEREMONY_SECONDS
    ):
        raise PasskeyError(EXPIRED)
    return ceremony


def registration_options(request, user):
    """Options for navigator.credentials.create(): a discoverable passkey, unlocked by the phone."""
    existing = list(Passkey.objects.owned_by(user))
    handle = bytes(existing[0].user_handle) if existing else secrets.token_bytes(32)
    options = generate_registration_options(
        rp_id=settings.PASSKEY_RP_ID,
        rp_name=RP_NAME,
        user_id=handle,
        user_name=user.get_username(),
        # A phone that holds one of these already says so instead of making a second.
        exclude_credentials=[descriptor(passkey) for passkey in existing],
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        timeout=CEREMONY_SECONDS * 1000,
    )
    begin(request, REGISTER, options.challenge, user=user.pk, handle=bytes_to_base64url(handle))
    return options_to_json(options)


def verify_registration(request, user, answer):
    """The new passkey's fields from the browser's answer to registration_options."""
    ceremony = end(request, REGISTER)
    if ceremony["user"] != user.pk:
        raise PasskeyError(EXPIRED)
    try:
        credential = parse_registration_credential_json(answer)
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=base64url_to_bytes(ceremony["challenge"]),
            expected_rp_id=settings.PASSKEY_RP_ID,
            expected_origin=origins(request),
            require_user_verification=True,
        )
    except (WebAuthnException, ValueError) as error:
        raise PasskeyError(NOT_CHECKED) from error
    return {
        "credential_id": bytes_to_base64url(verified.credential_id),
        "public_key": verified.credential_public_key,
        "sign_count": verified.sign_count,
        "user_handle": base64url_to_bytes(ceremony["handle"]),
        "transports": [transport.value for transport in credential.response.transports or []],
    }


def authentication_options(request, purpose, allowed=()):
    """Options for navigator.credentials.get(); with no `allowed` passkeys, any of this site's."""
    options = generate_authentication_options(
        rp_id=settings.PASSKEY_RP_ID,
        allow_credentials=[descriptor(passkey) for passkey in allowed],
        user_verification=(
            UserVerificationRequirement.REQUIRED
            if purpose == SIGN_IN
            else UserVerificationRequirement.PREFERRED
        ),
        timeout=CEREMONY_SECONDS * 1000,
    )
    begin(request, purpose, options.challenge)
    return options_to_json(options)


def parse_answer(answer):
    try:
        return parse_authentication_credential_json(answer)
    except (WebAuthnException, ValueError) as error:
        raise PasskeyError(NOT_CHECKED) from error


def claimed(credential, candidates):
    """The passkey among `candidates` that an answer says it comes from, before any check."""
    return candidates.filter(credential_id=credential.id).select_related("user").first()


def claimed_account(answer, candidates):
    """Whose passkey an answer names, unchecked: to see whether their sign-ins are paused."""
    try:
        passkey = claimed(parse_answer(answer), candidates)
    except PasskeyError:
        return None
    return passkey and passkey.user


def verify_authentication(request, purpose, answer, candidates):
    """The passkey among `candidates` (a queryset) that signed the session's challenge.

    Its counter and last use are updated. Raises PasskeyError for anything else, such as a
    passkey of another account when `candidates` are one person's.
    """
    ceremony = end(request, purpose)
    credential = parse_answer(answer)
    passkey = claimed(credential, candidates)
    if passkey is None:
        raise PasskeyError(UNKNOWN, unknown_id=credential.id)
    handle = credential.response.user_handle
    if handle is not None and handle != bytes(passkey.user_handle):
        raise PasskeyError(UNKNOWN, passkey=passkey)
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=base64url_to_bytes(ceremony["challenge"]),
            expected_rp_id=settings.PASSKEY_RP_ID,
            expected_origin=origins(request),
            credential_public_key=bytes(passkey.public_key),
            credential_current_sign_count=passkey.sign_count,
            require_user_verification=purpose == SIGN_IN,
        )
    except (WebAuthnException, ValueError) as error:
        raise PasskeyError(NOT_CHECKED, passkey=passkey) from error
    if not passkey.record_use(verified.new_sign_count):
        raise PasskeyError(COPIED, passkey=passkey)
    return passkey
