"""Tests that drive the real pages in headless Chromium."""
