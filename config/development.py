"""Local development: the embedded SQLite database and readable errors."""

DEBUG = False
