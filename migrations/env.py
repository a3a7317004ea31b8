"""Alembic environment: run migrations on the app's own engine (Flask-Migrate)."""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

config = context.config
if config.config_file_name and not logging.getLogger().handlers:
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

db = current_app.extensions["migrate"].db
target_metadata = db.metadata


def _options():
    # SQLite alters tables by copying them ("batch" mode); PostgreSQL alters in place.
    options = dict(current_app.extensions["migrate"].configure_args)
    options.update(
        target_metadata=target_metadata,
        compare_type=True,
        render_as_batch=db.engine.dialect.name == "sqlite",
    )
    return options


def run_migrations_offline():
    """Write the SQL to standard output instead of running it."""
    url = db.engine.url.render_as_string(hide_password=False)
    context.configure(url=url, literal_binds=True, **_options())
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    """Run the migrations on the app's database."""

    def skip_empty(context_, revision, directives):
        # `flask db migrate` with no model changes should not write an empty revision.
        if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
            directives[:] = []
            logger.info("No changes in schema detected.")

    options = _options()
    options.setdefault("process_revision_directives", skip_empty)
    with db.engine.connect() as connection:
        context.configure(connection=connection, **options)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
