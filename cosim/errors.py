"""User-facing errors.

Every problem a user can fix (bad YAML, impossible configs, unsupported ops, out-of-range sparsity) is
raised as :class:`CosimError` with a one-line message that names the offending field and the fix. The
CLI prints it as ``error: <message>`` and exits with code 2, without a traceback.
"""

from __future__ import annotations


class CosimError(ValueError):
    """A problem with the user's input; the message is one line naming the field and the fix."""

    def __init__(self, message: str):
        # Keep the promise of a single line even when a message is assembled from parts.
        super().__init__(" ".join(str(message).split()))


def require(condition: bool, message: str) -> None:
    """Raise :class:`CosimError` with ``message`` unless ``condition`` holds."""
    if not condition:
        raise CosimError(message)
