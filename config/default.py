"""Settings shared by every environment. TIMEBANK_<NAME> environment variables override them."""

DEFAULT_SECRET_KEY = "dev-only-change-me"
SECRET_KEY = DEFAULT_SECRET_KEY

# None means "the SQLite file instance/timebank.sqlite3" (see timebank.db.database_url).
DATABASE_URL = None
# SQLite waits this long for a writer to finish before giving up.
SQLITE_BUSY_TIMEOUT_MS = 5000

SQLALCHEMY_TRACK_MODIFICATIONS = False
SQLALCHEMY_ENGINE_OPTIONS: dict = {}

PUBLIC_BASE_URL = "http://127.0.0.1:8000"
LOG_LEVEL = "INFO"

# Members on the web.
# A signed-in session ends after this many minutes without a request.
SESSION_IDLE_MINUTES = 60
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# Sign-in codes sent by SMS: how long they last and how many wrong guesses they take.
SIGN_IN_CODE_MINUTES = 10
SIGN_IN_CODE_ATTEMPTS = 5
# Flask-Limiter: memory:// suits one process; use redis://127.0.0.1:6379 for several.
RATELIMIT_ENABLED = True
RATELIMIT_STORAGE_URI = "memory://"
RATELIMIT_HEADERS_ENABLED = True
SIGN_IN_RATE_LIMIT = "10 per minute;40 per hour"
CODE_REQUEST_RATE_LIMIT = "3 per 10 minutes;10 per day"
# SMS: console (logged, and listed at /dev/sms in development), fake (tests) or twilio.
SMS_BACKEND = "console"
# Send queued texts at the end of the request that queued them. Production leaves this
# to the SMS worker so that a slow provider never holds up a page.
SMS_SEND_INLINE = True
# Show the development-only page of texts the console backend "sent".
SHOW_DEV_SMS_PAGE = False
