"""Offers and requests: what members can do for others and what they need."""
