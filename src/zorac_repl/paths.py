"""Where zorac-repl keeps its files: platformdirs locations, overridable by environment.

``ZORAC_DATA_DIR`` moves the data directory (input history, sessions) and
``ZORAC_CONFIG_DIR`` the config directory, so tests and portable setups never touch the
user's real home.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

__all__ = ["config_dir", "config_file", "data_dir", "free_path", "history_file", "log_file"]

_APP = "zorac-repl"


def data_dir(environ: Mapping[str, str]) -> Path:
    """The directory for input history and saved conversations (not created here)."""
    override = environ.get("ZORAC_DATA_DIR")
    if override:
        return Path(override).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir(_APP, appauthor=False))


def config_dir(environ: Mapping[str, str]) -> Path:
    """The directory for the config file (not created here)."""
    override = environ.get("ZORAC_CONFIG_DIR")
    if override:
        return Path(override).expanduser()
    from platformdirs import user_config_dir

    return Path(user_config_dir(_APP, appauthor=False))


def history_file(environ: Mapping[str, str]) -> Path:
    """The prompt's persistent input history."""
    return data_dir(environ) / "history"


def config_file(environ: Mapping[str, str]) -> Path:
    """The settings saved with ``/config set`` (JSON)."""
    return config_dir(environ) / "config.json"


def free_path(directory: Path, stem: str, suffix: str) -> Path:
    """``directory/stem+suffix``, or with ``-2``, ``-3``… after the stem: the first that
    does not exist yet (a backup, a quarantined file, an export)."""
    candidate, number = directory / f"{stem}{suffix}", 2
    while candidate.exists():
        candidate, number = directory / f"{stem}-{number}{suffix}", number + 1
    return candidate


def log_file(environ: Mapping[str, str]) -> Path:
    """The log of every exchange (``zorac-repl log``)."""
    return data_dir(environ) / "log.db"
