"""The interactive front end: the prompt (``app``), its keys and completion, the slash commands.

Empty on purpose: importing a submodule (the command list, say) must not load the prompt.
"""
