"""The conversation as data: typed messages, the history and its token count, the saved session.

Knows nothing of servers or terminals: the chat core fills it, the store keeps it.
"""
