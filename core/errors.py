"""The base of every error whose message is meant for the user as one line."""


class UserFacingError(Exception):
    """Printed by the CLI and shown by the app as-is, without a traceback."""
