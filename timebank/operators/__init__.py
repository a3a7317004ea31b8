"""The install's operators: people above every time bank, who start and suspend banks."""
