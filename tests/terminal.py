"""A person at a terminal, for end-to-end tests: a pty (pexpect) drawn on an emulated screen (pyte).

The screen answers cursor-position requests as a real terminal does, keeps scrollback,
and can be read as text the way a person reads it.
"""

from __future__ import annotations

import os
import re
import time

import pexpect
import pyte

_CPR_REQUEST = b"\x1b[6n"
# pyte keeps private modes (ESC [ ? n h) shifted left by five bits.
_BRACKETED_PASTE = 2004 << 5


class Terminal:
    """``command`` running in a ``columns`` x ``rows`` terminal."""

    def __init__(
        self,
        command: str,
        *args: str,
        columns: int = 100,
        rows: int = 40,
        env: dict[str, str] | None = None,
    ) -> None:
        self.screen = pyte.HistoryScreen(columns, rows, history=5000)
        self.screen.set_mode(pyte.modes.LNM)
        self._stream = pyte.ByteStream(self.screen)
        self.raw = b""
        environment = {**os.environ, "TERM": "xterm-256color", **(env or {})}
        self.child = pexpect.spawn(command, list(args), env=environment, dimensions=(rows, columns))
        self.child.delaybeforesend = None

    def pump(self, timeout: float = 0.05) -> None:
        """Read what the program wrote and draw it."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                remaining = max(0.0, deadline - time.monotonic())
                data = self.child.read_nonblocking(65536, timeout=remaining)
            except pexpect.TIMEOUT:
                return
            except pexpect.EOF:
                return
            self.raw += data
            self._stream.feed(data)
            if _CPR_REQUEST in data:
                row, column = self.screen.cursor.y + 1, self.screen.cursor.x + 1
                self.child.send(f"\x1b[{row};{column}R")
            if time.monotonic() >= deadline:
                return

    def text(self) -> str:
        """The visible screen, one line per row, trailing spaces dropped."""
        return "\n".join(line.rstrip() for line in self.screen.display)

    def scrollback(self) -> str:
        """Everything scrolled off the top, then the visible screen."""
        history = [
            "".join(line[column].data for column in range(self.screen.columns)).rstrip()
            for line in self.screen.history.top
        ]
        return "\n".join([*history, self.text()])

    def wait_for(self, pattern: str, timeout: float = 15.0) -> re.Match[str]:
        """Wait until ``pattern`` (a regular expression) is on the screen or in scrollback."""
        deadline = time.monotonic() + timeout
        while True:
            self.pump(0.05)
            found = re.search(pattern, self.scrollback())
            if found:
                return found
            if time.monotonic() > deadline:
                raise AssertionError(f"{pattern!r} never appeared; screen:\n{self.text()}")

    def wait_flat(self, pattern: str, timeout: float = 15.0) -> re.Match[str]:
        """Wait for ``pattern`` in the scrollback read as one line (rows joined by spaces),
        so that a line the terminal wrapped still matches."""
        deadline = time.monotonic() + timeout
        while True:
            found = re.search(pattern, " ".join(self.scrollback().split()))
            if found:
                return found
            if time.monotonic() > deadline:
                raise AssertionError(f"{pattern!r} never appeared; screen:\n{self.text()}")
            self.pump(0.05)

    def wait_count(self, pattern: str, count: int, timeout: float = 15.0) -> None:
        """Wait until ``pattern`` occurs ``count`` times in scrollback and screen."""
        deadline = time.monotonic() + timeout
        while len(re.findall(pattern, self.scrollback())) < count:
            self.pump(0.05)
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{pattern!r} did not appear {count} times; screen:\n{self.text()}"
                )

    def type(self, text: str) -> None:
        self.child.send(text)

    def paste(self, text: str) -> None:
        """Paste ``text`` as a terminal does: bracketed only if the program turned that on,
        in pieces the pty takes, reading what the program draws meanwhile."""
        if self.screen.mode & {_BRACKETED_PASTE}:
            text = f"\x1b[200~{text}\x1b[201~"
        data = text.encode()
        for start in range(0, len(data), 4096):
            self.child.send(data[start : start + 4096])
            if len(data) > 4096:
                self.pump(0.001)

    def enter(self, text: str = "") -> None:
        self.child.send(text + "\r")

    def ctrl(self, key: str) -> None:
        self.child.sendcontrol(key)

    def input_line(self) -> str:
        """The row the cursor is on: the prompt and what is typed after it."""
        return self.screen.display[self.screen.cursor.y].rstrip()

    def close(self) -> None:
        if self.child.isalive():
            self.child.terminate(force=True)
