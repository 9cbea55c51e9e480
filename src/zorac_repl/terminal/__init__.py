"""The terminal itself: its size, the cursor probe, the keyboard while busy, the clipboard."""
