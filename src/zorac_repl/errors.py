"""The error tree: every failure the user can see, grouped by what the REPL does next.

::

    ZoracError                   one line, shown to the user as is
    ├── ConnectionFailed         server unreachable, timed out or dropped; /reconnect may help
    │   └── StreamInterrupted    the connection broke after tokens had arrived
    ├── ServerError              the server answered with an error (status and body kept)
    │   ├── ContextOverflow      the prompt does not fit the model's context
    │   ├── TooLarge             the server sent more than a size limit allows
    │   ├── ImagesRefused        the model reads no images, or fewer than were sent
    │   └── ToolsRefused         the server is not set up for tools
    ├── ConfigError              a bad setting value (nothing was changed)
    └── StoreError               a file could not be read or written

Messages are written for people: they say what happened and how to fix it, naming the
flag, variable or command that does.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "ConnectionFailed",
    "ContextOverflow",
    "ImagesRefused",
    "ServerError",
    "StoreError",
    "StreamInterrupted",
    "TooLarge",
    "ToolsRefused",
    "ZoracError",
]


class ZoracError(Exception):
    """Base class: ``str(error)`` is one line meant for the user."""


class ConnectionFailed(ZoracError):
    """The server could not be reached, stopped answering, or dropped the connection."""


class StreamInterrupted(ConnectionFailed):
    """The connection broke in the middle of an answer."""


class ServerError(ZoracError):
    """The server rejected the request or reported an error.

    Args:
        message: the line shown to the user.
        status: the HTTP status, or ``None`` for an error event inside a 200 stream.
    """

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class ContextOverflow(ServerError):
    """The prompt is longer than the model's context window (wire-protocol §5.2).

    Args:
        window: the context window the server stated, when it did.
        prompt_tokens: the prompt's size as the server counted it, when it said.
    """

    def __init__(
        self,
        message: str,
        status: int | None = None,
        window: int | None = None,
        prompt_tokens: int | None = None,
    ) -> None:
        super().__init__(message, status)
        self.window = window
        self.prompt_tokens = prompt_tokens


class TooLarge(ServerError):
    """The server sent more than one of the size limits allows (``MAX_ANSWER_BYTES``,
    ``MAX_EVENT_BYTES``); the rest was not read, and the connection was closed."""


class ImagesRefused(ServerError):
    """The server refused the request's images (wire-protocol §14.3, §14.4).

    Args:
        limit: the most images it takes in one request; 0: the model reads none.
        said: the server's own words, cut to one line.
    """

    def __init__(self, message: str, status: int | None, limit: int, said: str) -> None:
        super().__init__(message, status)
        self.limit = limit
        self.said = said


class ToolsRefused(ServerError):
    """The server refused a request because it carried ``tools`` (wire-protocol §15.1):
    vLLM started without ``--enable-auto-tool-choice``, an Ollama model without the
    capability."""


class ConfigError(ZoracError):
    """A setting has a value that is not accepted."""


class StoreError(ZoracError):
    """A file could not be read or written."""
