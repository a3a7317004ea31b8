"""Text messages: an outbox written with the change that causes it, and sending backends."""
