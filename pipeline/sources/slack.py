"""Posting to Slack with slack-sdk (issue 25): an incoming webhook, or a bot token with chat.postMessage
and, optionally, the chart through files_upload_v2. I/O only: the message is built elsewhere
(review_pulse.digest).

The webhook URL and the token are secrets. They are read from the environment here, held in a
``Secret`` whose repr hides them, passed to slack-sdk and nowhere else: slack-sdk's own logger
(whose debug lines hold the request URL) is switched off, and every error is our own sentence naming
the variable, never its value, nor slack-sdk's exception text.

Retries are bounded: a 429 waits what ``Retry-After`` asks (up to ``MAX_RETRY_AFTER_SECONDS``; longer
and we stop), a 5xx backs off; each at most ``retries`` times. Anything else is one line with the fix.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from core.errors import UserFacingError
from core.settings import DigestSettings

BOT_TOKEN_ENV = "SLACK_BOT_TOKEN"
API_URL_ENV = "SLACK_API_URL"  # another Slack API base (a proxy; the tests' fake Slack)
DEFAULT_API_URL = "https://slack.com/api/"
MAX_RETRY_AFTER_SECONDS = 60
DEFAULT_RETRIES = 3
TIMEOUT_SECONDS = 30

_SILENT = logging.getLogger("pipeline.sources.slack.sdk")
_SILENT.addHandler(logging.NullHandler())
_SILENT.propagate = False
_SILENT.disabled = True  # slack-sdk logs request URLs (a webhook URL is the secret) at debug level

_ERROR_CODE = re.compile(r"[a-z0-9_.:-]{1,60}", re.ASCII)


class SlackError(UserFacingError):
    """Nothing (more) was posted; ``str()`` is the one line the CLI prints, with the fix."""


class Secret:
    """A webhook URL or a token: its value goes to slack-sdk only; printing it shows the variable."""

    __slots__ = ("_value", "variable")

    def __init__(self, value: str, variable: str) -> None:
        self._value = value
        self.variable = variable

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret(${self.variable})"

    __str__ = __repr__


@dataclass(frozen=True)
class SlackTarget:
    """Where the digest goes: ``via`` webhook or bot; ``channel`` for the bot (from [digest] channel)."""

    via: str
    secret: Secret
    channel: str | None = None
    api_url: str = DEFAULT_API_URL

    @property
    def described(self) -> str:
        return f"bot, {self.channel}" if self.via == "bot" else f"incoming webhook in ${self.secret.variable}"


def carries_secrets_safely(url: str) -> bool:
    """A secret (the webhook's own URL, the bot's token) travels over https only; plain http is allowed
    to this machine alone (a local proxy; the tests' fake Slack)."""
    parts = urlsplit(url)
    if parts.scheme == "https":
        return bool(parts.hostname)
    return parts.scheme == "http" and parts.hostname in ("localhost", "127.0.0.1", "::1")


def target_from_env(settings: DigestSettings, environ: Mapping[str, str] | None = None) -> SlackTarget:
    """The bot when ``SLACK_BOT_TOKEN`` is set (it needs [digest] channel), else the webhook in the
    variable [digest] webhook_url_env names (SLACK_WEBHOOK_URL by default)."""
    env = os.environ if environ is None else environ
    api_url = env.get(API_URL_ENV, "").strip() or DEFAULT_API_URL
    if not carries_secrets_safely(api_url):
        raise SlackError(f"{API_URL_ENV} must be an https:// address (http:// only to localhost): the token "
                         f"would travel in clear text; check the variable {API_URL_ENV}")
    token = env.get(BOT_TOKEN_ENV, "").strip()
    if token:
        if not settings.channel:
            raise SlackError(f"{BOT_TOKEN_ENV} is set but [digest] channel is not: name the channel the bot posts "
                             "in (channel = \"#incident-review\") in review_pulse.toml")
        return SlackTarget("bot", Secret(token, BOT_TOKEN_ENV), settings.channel, api_url)
    variable = settings.webhook_url_env
    url = env.get(variable, "").strip()
    if url:
        if not carries_secrets_safely(url):
            # Never echo the value: it is the secret.
            raise SlackError(f"the variable {variable} does not hold an https:// webhook URL "
                             "(https://hooks.slack.com/…): check the variable " + variable)
        return SlackTarget("webhook", Secret(url, variable))
    raise SlackError(f"no Slack destination: set {variable} to an incoming webhook's URL, or {BOT_TOKEN_ENV} "
                     "and [digest] channel (or use --dry-run to see the message without sending it)")


# --- retries -------------------------------------------------------------------------------------------


def retry_handlers(retries: int) -> list:
    from slack_sdk.http_retry.builtin_handlers import (ConnectionErrorRetryHandler, RateLimitErrorRetryHandler,
                                                       ServerErrorRetryHandler)

    class BoundedRateLimitRetryHandler(RateLimitErrorRetryHandler):
        """A 429 is retried after its Retry-After, unless Slack asks for more than we wait."""

        def _can_retry(self, *, state, request, response=None, error=None) -> bool:  # noqa: ANN001
            if response is None or response.status_code != 429:
                return False
            return retry_after(response.headers) <= MAX_RETRY_AFTER_SECONDS

    class AnyServerErrorRetryHandler(ServerErrorRetryHandler):
        """Every 5xx (slack-sdk's own handler retries 500 and 503 only)."""

        def _can_retry(self, *, state, request, response=None, error=None) -> bool:  # noqa: ANN001
            return response is not None and 500 <= response.status_code <= 599

    return [ConnectionErrorRetryHandler(max_retry_count=1), BoundedRateLimitRetryHandler(max_retry_count=retries),
            AnyServerErrorRetryHandler(max_retry_count=retries)]


def retry_after(headers: Mapping[str, Any] | None) -> float:
    """Seconds a 429 asks to wait (slack-sdk gives header values as lists); 1 when absent or unreadable."""
    for key, value in (headers or {}).items():
        if key.lower() == "retry-after":
            value = value[0] if isinstance(value, (list, tuple)) and value else value
            try:
                return max(0.0, float(str(value).strip()[:10]))
            except ValueError:
                return 1.0
    return 1.0


# --- posting -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Posted:
    via: str
    channel: str | None  # the bot's channel as configured; None for a webhook
    chart_uploaded: bool = False


def post_message(target: SlackTarget, message: dict[str, Any], *, chart_png: bytes | None = None,
                 chart_name: str = "chart.png", chart_title: str = "Average weekly score",
                 retries: int = DEFAULT_RETRIES, timeout: int = TIMEOUT_SECONDS) -> Posted:
    """Send one message (``{"text", "blocks"}``); with the bot, ``chart_png`` is uploaded in its thread."""
    if target.via == "webhook":
        _post_webhook(target, message, retries, timeout)
        return Posted("webhook", None)
    return _post_bot(target, message, chart_png, chart_name, chart_title, retries, timeout)


def _tries(retries: int) -> str:
    return f"{retries + 1} tries"


def _code(text: object) -> str:
    """Slack's error code (``invalid_token``), if the answer is one; never free text from elsewhere."""
    candidate = str(text or "").strip()[:60]
    return candidate if _ERROR_CODE.fullmatch(candidate) else ""


def _post_webhook(target: SlackTarget, message: dict[str, Any], retries: int, timeout: int) -> None:
    from slack_sdk.webhook import WebhookClient

    variable = target.secret.variable
    client = WebhookClient(target.secret.reveal(), timeout=timeout, logger=_SILENT, retry_handlers=retry_handlers(retries))
    try:
        response = client.send_dict(message)
    except Exception as exc:  # connection refused, DNS, TLS, timeout: the sdk's text may hold the URL
        raise SlackError(f"cannot reach Slack's webhook ({_failure_kind(exc)}): check the network and the variable "
                         f"{variable}; nothing was posted") from None
    status, code = response.status_code, _code(response.body)
    if status == 200:
        return
    raise SlackError(_http_failure(status, code, retry_after(response.headers), retries, variable, webhook=True))


def _http_failure(status: int, code: str, wait: float, retries: int, variable: str, webhook: bool) -> str:
    said = f"HTTP {status}" + (f" {code}" if code else "")
    if status == 429:
        if wait > MAX_RETRY_AFTER_SECONDS:
            return f"Slack is rate-limiting ({said}) and asks to wait {wait:.0f} s: run the digest again later; nothing was posted"
        return f"Slack is rate-limiting ({said}) after {_tries(retries)}: run the digest again later; nothing was posted"
    if status >= 500:
        return f"Slack failed ({said}) after {_tries(retries)}: run the digest again later; nothing was posted"
    if webhook and status in (401, 403, 404, 410):
        return f"Slack refused the webhook ({said}): check the variable {variable}; nothing was posted"
    return _api_failure(code or said, variable)


def _failure_kind(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None)
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror.lower()
    if isinstance(exc, TimeoutError) or isinstance(reason, TimeoutError):
        return "timed out"
    return type(exc).__name__


_FIXES = {
    ("invalid_auth", "not_authed", "invalid_token", "token_revoked", "token_expired", "account_inactive",
     "no_service", "no_team", "team_disabled", "not_allowed_token_type"): "check {variable}",
    ("channel_not_found", "not_in_channel", "is_archived", "channel_is_archived", "no_service_id",
     "action_prohibited"): "invite the bot to the channel / check [digest] channel",
    ("missing_scope",): "give the bot the scopes chat:write and files:write, reinstall it, then check {variable}",
    ("invalid_blocks", "invalid_blocks_format", "msg_too_long", "no_text", "too_many_attachments",
     "invalid_payload"): "this is a bug in the digest; run with --dry-run and report the JSON",
}


def _api_failure(code: str, variable: str) -> str:
    for codes, fix in _FIXES.items():
        if code in codes:
            return f"Slack refused the message ({code}): {fix.format(variable=variable)}; nothing was posted"
    return f"Slack refused the message ({code or 'no reason given'}): check {variable} and [digest]; nothing was posted"


def _post_bot(target: SlackTarget, message: dict[str, Any], chart_png: bytes | None, chart_name: str,
              chart_title: str, retries: int, timeout: int) -> Posted:
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackApiError

    variable = target.secret.variable
    client = WebClient(token=target.secret.reveal(), base_url=target.api_url, timeout=timeout, logger=_SILENT,
                       retry_handlers=retry_handlers(retries))

    def call(what: str, method, **arguments):  # noqa: ANN001, ANN202
        try:
            return method(**arguments)
        except SlackApiError as exc:
            response = exc.response
            status = getattr(response, "status_code", 0) or 0
            code = _code(response.get("error") if response is not None and isinstance(response.data, dict) else "")
            if status == 200 or (400 <= status < 500 and status != 429):
                raise SlackError(_api_failure(code or f"HTTP {status}", variable)) from None
            raise SlackError(_http_failure(status, code, retry_after(response.headers if response is not None else None),
                                           retries, variable, webhook=False)) from None
        except json.JSONDecodeError:
            raise SlackError(f"Slack's answer to {what} could not be read (not JSON): run the digest again later; "
                             "check [digest] and the variable " + API_URL_ENV + " if set") from None
        except Exception as exc:  # connection errors: the sdk's text is not ours to print
            raise SlackError(f"cannot reach Slack's API for {what} ({_failure_kind(exc)}): check the network"
                             + (f" and the variable {API_URL_ENV}" if target.api_url != DEFAULT_API_URL else "")) from None

    # parse="none" and link_names=False: nothing in the text is turned into a mention by Slack either.
    posted = call("chat.postMessage", client.chat_postMessage, channel=target.channel, text=message["text"],
                  blocks=message["blocks"], parse="none", link_names=False, unfurl_links=False, unfurl_media=False)
    if chart_png is None:
        return Posted("bot", target.channel)
    channel_id, thread = posted.get("channel"), posted.get("ts")
    try:
        call("files_upload_v2", client.files_upload_v2, channel=channel_id, thread_ts=thread, content=chart_png,
             filename=chart_name, title=chart_title)
    except SlackError as exc:
        # The message is out: say so, so the run is recorded and the operator knows only the chart is missing.
        reason = str(exc).removesuffix("; nothing was posted")
        raise ChartUploadError(f"the digest was posted, but its chart was not: {reason}") from None
    return Posted("bot", target.channel, chart_uploaded=True)


class ChartUploadError(SlackError):
    """The message was posted; only the chart upload failed (the post is still recorded)."""
