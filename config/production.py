"""Production: PostgreSQL, a real secret key, secure cookies. Both must come from TIMEBANK_*."""

SECRET_KEY = None
DATABASE_URL = None
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "pool_size": 5, "max_overflow": 5}
