"""Errors meant for users: their message is printed as is, without a traceback."""


class BriefbotError(Exception):
    """A problem the user can fix (bad argument, missing file, misconfiguration)."""
