"""`flask demo ...`: a demonstration time bank."""

from flask.cli import AppGroup

demo_cli = AppGroup("demo", help="Demonstration data.")
