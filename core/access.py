"""Who may load data from the browser: one rule, no Streamlit (the app passes who is signed in)."""

from __future__ import annotations

from core.settings import Settings


def may_load_data(settings: Settings, sign_in_configured: bool, email: str | None,
                  email_verified: bool | None = None) -> bool:
    """Without sign-in (local use) anyone may load, unless ``browser_loading = false``.

    With sign-in, only the ``editors`` (an exact e-mail or an @domain) may, and only with an
    address the identity provider did not mark unverified.
    """
    if not settings.browser_loading:
        return False
    if not sign_in_configured:
        return True
    if not email or email_verified is False:
        return False
    email = email.strip().lower()
    domain = "@" + email.rsplit("@", 1)[-1] if "@" in email else None
    return any(entry == email or entry == domain for entry in settings.editors)
