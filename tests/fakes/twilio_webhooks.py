"""Post to the app's Twilio webhooks signed exactly as Twilio signs them."""

from __future__ import annotations

from twilio.request_validator import RequestValidator


def twilio_signature(auth_token: str, url: str, params: dict[str, str]) -> str:
    """Return the X-Twilio-Signature Twilio would send for a form POST to `url`."""
    return RequestValidator(auth_token).compute_signature(url, params)


def post_signed(client, app, path: str, params: dict[str, str], signature: str | None = None):
    """POST `params` to `path` with a valid signature (or the one given) and return the answer."""
    url = app.config["PUBLIC_BASE_URL"].rstrip("/") + path
    if signature is None:
        signature = twilio_signature(app.config["TWILIO_AUTH_TOKEN"], url, params)
    return client.post(path, data=params, headers={"X-Twilio-Signature": signature})
