"""Files and images the user attaches: read, checked and turned into message parts.

``reading.py`` takes what the user named (files, globs, directories) and gives parts or
one line per refusal; ``walk.py`` walks a directory as git would see it; ``images.py``
and ``pdf.py`` prepare what is not plain text; ``staged.py`` keeps what waits for the
next message. Nothing here asks the server: whether the model can see is ``server``'s.
"""
