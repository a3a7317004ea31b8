"""Production: PostgreSQL, a real secret key, secure cookies. Both must come from TIMEBANK_*."""

SECRET_KEY = None
DATABASE_URL = None
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# Stale connections are replaced by age and found by TCP keepalives, not by a ping before
# every transaction: a ping is one more round trip per exchange (about 10 % of throughput,
# see docs/performance.md). A connection that dies mid-request fails that request only.
SQLALCHEMY_ENGINE_OPTIONS = {
    "pool_size": 5,
    "max_overflow": 5,
    "pool_recycle": 1800,
    "connect_args": {"keepalives": 1, "keepalives_idle": 60, "keepalives_interval": 10},
}
REMEMBER_COOKIE_SECURE = True
REMEMBER_COOKIE_HTTPONLY = True
# Rate limits shared by every gunicorn worker and machine.
RATELIMIT_STORAGE_URI = "redis://127.0.0.1:6379"
# No default: TIMEBANK_SMS_BACKEND must say how texts go (twilio), so a server never ends
# up writing texts to its log instead of sending them without anyone choosing that.
SMS_BACKEND = None
SMS_SEND_INLINE = False
SHOW_DEV_SMS_PAGE = False
STRICT_TRANSPORT_SECURITY = "max-age=31536000; includeSubDomains"
# If Redis is unreachable, count in each process rather than refuse every request.
RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
