"""Tests of sessions, sign-in, phone numbers, retention, dates and idempotency under attack."""
