"""Settings shared by every environment. TIMEBANK_<NAME> environment variables override them."""

DEFAULT_SECRET_KEY = "dev-only-change-me"
SECRET_KEY = DEFAULT_SECRET_KEY

# None means "the SQLite file instance/timebank.sqlite3" (see timebank.db.database_url).
DATABASE_URL = None
# SQLite waits this long for a writer to finish before giving up.
SQLITE_BUSY_TIMEOUT_MS = 5000

SQLALCHEMY_TRACK_MODIFICATIONS = False
SQLALCHEMY_ENGINE_OPTIONS: dict = {}

# Defaults given to a new time bank; each bank can change its own.
DEFAULT_OVERDRAFT_MINUTES = -600
DEFAULT_MAX_EXCHANGE_MINUTES = 720
DEFAULT_CONFIRM_DAYS = 14
DEFAULT_HOURLY_VALUE_PENCE = 1390
DEFAULT_TIMEZONE = "Europe/London"

PUBLIC_BASE_URL = "http://127.0.0.1:8000"
LOG_LEVEL = "INFO"
