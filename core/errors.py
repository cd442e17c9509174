"""The base of every error whose message is meant for the user as one line, and its page wording."""

from __future__ import annotations


class Worded(str):
    """A message (the CLI's words) that also knows how to say its fix on the Load data page.

    It is a ``str``, so every place that prints, joins or stores messages keeps working and
    the CLI keeps its wording; only a page asks for ``for_page(message)``.
    """

    page: str

    def __new__(cls, cli: str, page: str) -> Worded:
        made = super().__new__(cls, cli)
        made.page = page
        return made

    def __reduce__(self) -> tuple:  # pickled into and out of the load's child process
        return (Worded, (str(self), self.page))

    def joined(self, before: str = "", after: str = "") -> Worded:
        """The same message with text around it, in both wordings."""
        return Worded(before + str(self) + after, before + self.page + after)


def for_page(message: object) -> str:
    """What a page shows: the page wording of a message or error when it has one, else its text."""
    if isinstance(message, UserFacingError):
        return message.page_message
    return message.page if isinstance(message, Worded) else str(message)


def one_line(message: str) -> str:
    """The message with its whitespace runs as single spaces, keeping a page wording."""
    if isinstance(message, Worded):
        return Worded(" ".join(message.split()), " ".join(message.page.split()))
    return " ".join(str(message).split())


class UserFacingError(Exception):
    """Printed by the CLI and shown by the app as-is, without a traceback.

    ``str()`` is the CLI's one line; ``page_message`` says the same with the page's words when the
    message was built as ``Worded`` (see pipeline/errors.WORDINGS).
    """

    def __init__(self, *args: object) -> None:
        super().__init__(*args)
        first = args[0] if args else ""
        self.page_message = first.page if isinstance(first, Worded) else str(self)
