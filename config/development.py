"""Local development: the embedded SQLite database and readable errors."""

DEBUG = False
SHOW_DEV_SMS_PAGE = True
