"""Fakes of outside systems that the real client libraries talk to over 127.0.0.1."""
