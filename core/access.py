"""Who may sign in and who may load data from the browser: the rules, no Streamlit (the app
passes what the identity provider said about who is signed in)."""

from __future__ import annotations

from core.settings import Settings


def marked_unverified(email_verified: object) -> bool:
    """The provider sent ``email_verified`` and it is not true (some send the string "true").
    A provider that never sends the claim is trusted on the e-mail alone."""
    return email_verified is not None and email_verified is not True and str(email_verified).strip().lower() != "true"


def sign_in_allowed(email: str, email_verified: object, allowed_domains: tuple[str, ...] | list[str]) -> bool:
    """With allowed domains set, the e-mail's domain must be one of them, from a verified address."""
    if not allowed_domains:
        return True
    if marked_unverified(email_verified):
        return False
    domain = email.rsplit("@", 1)[-1].lower() if "@" in email else ""
    return bool(domain) and domain in allowed_domains


def may_load_data(settings: Settings, sign_in_configured: bool, email: str | None,
                  email_verified: object = None) -> bool:
    """Without sign-in (local use) anyone may load, unless ``browser_loading = false``.

    With sign-in, only the ``editors`` (an exact e-mail or an @domain) may, and only with an
    address the identity provider did not mark unverified.
    """
    if not settings.browser_loading:
        return False
    if not sign_in_configured:
        return True
    if not email or marked_unverified(email_verified):
        return False
    email = email.strip().lower()
    domain = "@" + email.rsplit("@", 1)[-1] if "@" in email else None
    return any(entry == email or entry == domain for entry in settings.editors)
