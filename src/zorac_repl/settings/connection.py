"""How zorac-repl reaches the server: TLS trust, proxies, extra headers, and the API key.

Users reach their GPU box through a reverse proxy that wants its own header, a
self-signed certificate, a corporate proxy or a LiteLLM gateway. This module turns the
settings into what the HTTP client needs:

- an ``ssl.SSLContext``: ``CA_BUNDLE`` (``--ca-bundle``) if given, else
  ``SSL_CERT_FILE``/``SSL_CERT_DIR`` if set, else certifi's bundle, as httpx does;
  ``INSECURE`` turns checking off;
- proxies: ``PROXY`` (``--proxy``) overrides ``HTTPS_PROXY``/``HTTP_PROXY``/``NO_PROXY``,
  which the HTTP client reads itself; loopback never goes through a proxy;
- the API key: ``VLLM_API_KEY``, else the file ``API_KEY_FILE``, else the output of
  ``API_KEY_COMMAND``, run once per connection.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from zorac_repl.errors import ConfigError

if TYPE_CHECKING:
    import ssl

__all__ = [
    "LOOPBACK",
    "Connection",
    "resolve_api_key",
    "shown_url",
    "ssl_context",
]

# Never through a proxy: the dev server, an SSH tunnel, a server on this machine.
LOOPBACK = ("all://127.0.0.1", "all://localhost", "all://[::1]")


@dataclass(frozen=True, slots=True)
class Connection:
    """The connection settings the HTTP client is built from."""

    headers: tuple[tuple[str, str], ...] = ()
    ca_bundle: str = ""
    insecure: bool = False
    proxy: str = ""


def ssl_context(connection: Connection, environ: Mapping[str, str] = os.environ) -> ssl.SSLContext:
    """The TLS trust the settings ask for (see the module's note).

    Raises:
        ConfigError: a CA file cannot be read.
    """
    import ssl  # only when a client is built: the first prompt does not wait for it

    if connection.insecure:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    cafile = connection.ca_bundle or environ.get("SSL_CERT_FILE") or None
    capath = None if connection.ca_bundle else environ.get("SSL_CERT_DIR") or None
    if cafile is None and capath is None:
        import certifi

        cafile = certifi.where()
    try:
        return ssl.create_default_context(cafile=cafile, capath=capath)
    except (OSError, ssl.SSLError) as exc:
        where = "--ca-bundle" if connection.ca_bundle else "$SSL_CERT_FILE/$SSL_CERT_DIR"
        raise ConfigError(
            f"Cannot read the CA certificates in {cafile or capath} "
            f"({where}): {getattr(exc, 'strerror', None) or exc}."
        ) from None


def resolve_api_key(api_key: str, api_key_file: str, api_key_command: str) -> str:
    """The key to send: given, else read from a file, else printed by a command.

    Raises:
        ConfigError: the file cannot be read, or the command fails (one line).
    """
    if api_key:
        return _checked_key(api_key, "The API key")
    if api_key_file:
        try:
            with open(api_key_file, encoding="utf-8") as file:
                return _checked_key(file.read().strip(), f"The API key in {api_key_file}")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(
                f"Cannot read the API key file {api_key_file} "
                f"({getattr(exc, 'strerror', None) or exc})."
            ) from None
    if api_key_command:
        import subprocess

        try:
            result = subprocess.run(
                shlex.split(api_key_command),
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
            )
        except (OSError, ValueError, subprocess.SubprocessError) as exc:
            raise ConfigError(f"API_KEY_COMMAND could not run ({exc}).") from None
        if result.returncode != 0:
            # Its stderr is not shown: a failing secret tool may print the secret there.
            raise ConfigError(
                f"API_KEY_COMMAND failed with exit code {result.returncode}; "
                "run it yourself to see why."
            )
        key = result.stdout.strip()
        if not key:
            raise ConfigError("API_KEY_COMMAND printed nothing; it should print the key.")
        return _checked_key(key.splitlines()[0], "The key API_KEY_COMMAND printed")
    return ""


def _checked_key(key: str, origin: str) -> str:
    """``key``, if it can go in an HTTP header: one line of printable ASCII.

    Raises:
        ConfigError: it cannot; the line says why without showing the key.
    """
    if key.isascii() and key.isprintable():
        return key
    if "\n" in key or "\r" in key:
        why = "holds a line break; a key is one line"
    elif not key.isascii():
        why = "holds a character that is not ASCII, which HTTP headers cannot carry"
    else:
        why = "holds a control character"
    raise ConfigError(f"{origin} {why}.")


def shown_url(url: str) -> str:
    """``url`` as it may be shown or written: a password in it is masked
    (``http://user:****@host/v1``)."""
    scheme, separator, rest = url.partition("://")
    if not separator:
        return url
    authority, slash, path = rest.partition("/")
    user_info, at, host = authority.rpartition("@")
    if not at or ":" not in user_info:
        return url
    user = user_info.split(":", 1)[0]
    return f"{scheme}://{user}:****@{host}{slash}{path}"
