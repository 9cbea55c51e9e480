"""Attachments at the moment a message is sent: may its images go, and what a refusal means.

Whether the model reads images is asked of the server (``ServerLink.sight``); a model
known to read none gets no image: a staged one holds the message back with one line (the
image stays staged, the draft comes back), and the history's older images go as text
markers. A refusal from the server is remembered for the model, and told the same way.
"""

from __future__ import annotations

from zorac_repl.conversation.history import Conversation
from zorac_repl.conversation.message import UserMessage
from zorac_repl.errors import ImagesRefused, ServerError
from zorac_repl.server.link import ServerLink
from zorac_repl.settings.table import Settings

__all__ = ["images_held_back", "refusal_told"]

# The draft comes back and what is staged stays (the REPL's toolbar shows it); one-shot
# has nothing to keep: the words fit both.
_NOT_SENT = "Nothing was sent"


async def images_held_back(
    link: ServerLink, message: UserMessage, conversation: Conversation, settings: Settings
) -> ServerError | None:
    """Decide how many images the next request carries (``conversation.images_sent``);
    the error that holds ``message`` back when it has images the model cannot read."""
    conversation.images_sent = settings.max_images
    if not message.images and not conversation.image_count():
        return None
    sees, how = await link.sight()
    if sees is not False:
        return None
    conversation.images_sent = 0  # older images go as markers
    if not message.images:
        return None
    return ServerError(
        f"{settings.model} reads no images ({_how(how)}). {_NOT_SENT}: /detach the image, "
        f"choose a vision model with /model, or {_override(settings)}."
    )


def refusal_told(
    error: ImagesRefused, link: ServerLink, message: UserMessage, settings: Settings
) -> ServerError:
    """The server refused the images: remember what it said, and say what to do."""
    if error.limit == 0:
        link.learn_sight(False, "the server refused an image")
        if message.images:
            what = "/detach the image, or choose a vision model with /model"
        else:
            what = "send it again: the conversation's images go as text from now on"
        override = _override(settings)
        return ServerError(
            f"{settings.model} reads no images: the server said {error.said!r}. "
            f"{_NOT_SENT}: {what}. {override[0].upper()}{override[1:]}.",
            error.status,
        )
    return ServerError(
        f"The server takes at most {error.limit} image{'s' * (error.limit != 1)} in one "
        f"request, and MAX_IMAGES is {settings.max_images}: /config set MAX_IMAGES "
        f"{error.limit}, then send again.",
        error.status,
    )


def _override(settings: Settings) -> str:
    if settings.vision == "yes":
        return "VISION=yes is set, but the server does not agree: set VISION=auto"
    return "set VISION=yes if the model can see"


def _how(how: str) -> str:
    if how.startswith("VISION="):
        return f"{how} says so"
    if how.startswith("the server refused"):
        return "the server refused an image earlier"
    return f"the server says so: {how}"
