"""Settings: the table of every setting, their sources, profiles, and the ones in force live."""
