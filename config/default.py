"""Settings shared by every environment. TIMEBANK_<NAME> environment variables override them."""

DEFAULT_SECRET_KEY = "dev-only-change-me"
SECRET_KEY = DEFAULT_SECRET_KEY

# None means "the SQLite file instance/timebank.sqlite3" (see timebank.db.database_url).
DATABASE_URL = None
# SQLite waits this long for a writer to finish before giving up.
SQLITE_BUSY_TIMEOUT_MS = 5000

SQLALCHEMY_TRACK_MODIFICATIONS = False
SQLALCHEMY_ENGINE_OPTIONS: dict[str, object] = {}

PUBLIC_BASE_URL = "http://127.0.0.1:8000"
LOG_LEVEL = "INFO"

# Members on the web.
# A signed-in session ends after this many minutes without a request.
SESSION_IDLE_MINUTES = 60
# However busy, a signed-in session ends this many hours after signing in.
SESSION_MAX_HOURS = 12
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# Sign-in codes sent by SMS: how long they last and how many wrong guesses they take.
SIGN_IN_CODE_MINUTES = 10
SIGN_IN_CODE_ATTEMPTS = 5
# A new admin's one-time way in (a code by text, or a printed sign-in link) lasts this long:
# long enough to see the text, short enough that a forgotten one soon stops working.
INVITATION_HOURS = 24
# After signing in with a code, a member may choose a new password without typing the old
# one for this many minutes (once); after that, changing it needs the current password.
PASSWORD_CHANGE_AFTER_CODE_MINUTES = 15
# Flask-Limiter: memory:// suits one process; use redis://127.0.0.1:6379 for several.
RATELIMIT_ENABLED = True
RATELIMIT_STORAGE_URI = "memory://"
RATELIMIT_HEADERS_ENABLED = True
# Sign-in limits (docs/deploy.md). Failed tries count, successful ones do not. Windows
# from a minute to an hour make the wait grow with the tries, and none is longer than an
# hour, so nobody can lock a member out for a day. Per address and identifier (mobile or
# email) together: one person guessing at one account.
SIGN_IN_RATE_LIMIT = "5 per minute;20 per hour"
# Per identifier from any address: guessing at one account from many places.
SIGN_IN_IDENTIFIER_RATE_LIMIT = "30 per 10 minutes"
# Per address whatever the identifier, across the sign-in pages: loose, because everyone
# at a library or a GP drop-in shares one address.
SIGN_IN_ADDRESS_RATE_LIMIT = "100 per 10 minutes;300 per hour"
# Code requests (each sends a text), per address and mobile together, and per mobile.
CODE_REQUEST_RATE_LIMIT = "3 per 10 minutes"
CODE_REQUEST_MOBILE_RATE_LIMIT = "6 per hour"
# Count every limit of a request, so "too many tries" can say the longest wait.
RATELIMIT_FAIL_ON_FIRST_BREACH = False
# Requests per API token (or per signed-in member, or per address without either).
API_RATE_LIMIT = "600 per minute"
# How many reverse proxies in front of the app set X-Forwarded-For and -Proto (0: none).
# Never more than really exist: the extra addresses in the header are the visitor's to forge.
TRUSTED_PROXY_COUNT = 0
# SMS: console (logged, and listed at /dev/sms in development), fake (tests) or twilio.
SMS_BACKEND = "console"
# Send queued texts at the end of the request that queued them. Production leaves this
# to the SMS worker so that a slow provider never holds up a page.
SMS_SEND_INLINE = True
# Show the development-only page of texts the console backend "sent".
SHOW_DEV_SMS_PAGE = False

# Twilio. The account SID and auth token come from the environment
# (TIMEBANK_TWILIO_ACCOUNT_SID, TIMEBANK_TWILIO_AUTH_TOKEN); the auth token also checks the
# signature on every webhook. Each time bank's sending number is its own setting.
TWILIO_ACCOUNT_SID = ""
TWILIO_AUTH_TOKEN = ""
# Empty means Twilio itself; tests point the real twilio Client at a fake on 127.0.0.1.
TWILIO_API_BASE_URL = ""
SMS_SEND_TIMEOUT_SECONDS = 10.0
# The SMS worker: how often it looks for texts, how many it takes at once, and backoff.
SMS_WORKER_POLL_SECONDS = 2.0
SMS_BATCH_SIZE = 50
SMS_RETRY_BASE_SECONDS = 30
SMS_RETRY_MAX_ATTEMPTS = 8
# A text whose outcome is unknown is looked up at Twilio after this long, never resent blindly.
SMS_RECONCILE_AFTER_SECONDS = 120

# Reports read summaries of the ledger, which every report first brings up to date with the
# transfers written since the last time; `flask schedule run` does the same every 15 minutes
# (`flask reports update --all`), so a report seldom has much to do. Nothing to set.
