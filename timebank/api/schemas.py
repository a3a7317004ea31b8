"""marshmallow schemas shared by the API's resources."""

from __future__ import annotations

import marshmallow as ma


class MemberRefSchema(ma.Schema):
    """A member as another member may name them."""

    id = ma.fields.Integer(required=True)
    display_name = ma.fields.String(required=True)
