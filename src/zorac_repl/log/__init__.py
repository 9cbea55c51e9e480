"""The log: every exchange kept in one SQLite database, searchable with FTS5.

``store.py`` owns the database (schema, migrations, writes, search); the chat core logs
each exchange as it ends (``Chat``), and ``zorac-repl log`` reads it.
"""
