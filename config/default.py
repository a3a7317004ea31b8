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
