"""Test runs: the test database is chosen by the test fixtures."""

TESTING = True
SECRET_KEY = "testing-secret-key"
WTF_CSRF_ENABLED = False
SMS_BACKEND = "fake"
RATELIMIT_ENABLED = False
