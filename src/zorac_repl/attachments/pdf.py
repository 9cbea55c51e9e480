"""A PDF's text, page by page, read with pypdf; a scan with no text layer is refused."""

from __future__ import annotations

import io
import logging

__all__ = ["NoText", "pdf_text"]

_log = logging.getLogger(__name__)


class NoText(ValueError):
    """The PDF has no text to send (a scan), or cannot be read; the text says which."""


def pdf_text(data: bytes) -> tuple[str, int]:
    """The text of each page under a ``--- page N ---`` line, and the page count.

    Raises:
        NoText: it is encrypted, damaged, or has no text layer.
    """
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise NoText("it is encrypted with a password")
        pages = [(page.extract_text() or "").strip() for page in reader.pages]
    except NoText:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, OSError, RecursionError) as exc:
        _log.debug("pypdf could not read a PDF", exc_info=True)
        raise NoText(f"it could not be read as a PDF ({type(exc).__name__})") from None
    if not any(pages):
        whose = "its page has" if len(pages) == 1 else f"its {len(pages)} pages have"
        raise NoText(
            f"{whose} no text layer (a scan?); attach the pages as images, or run OCR on it first"
        )
    text = "\n\n".join(f"--- page {n} ---\n{page}" for n, page in enumerate(pages, 1) if page)
    return text, len(pages)
