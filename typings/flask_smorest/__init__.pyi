from collections.abc import Callable, Mapping, Sequence
from typing import Any, NoReturn, TypeVar

import flask
from apispec import APISpec
from marshmallow import Schema
from webargs.flaskparser import FlaskParser

_F = TypeVar("_F", bound=Callable[..., Any])
_SchemaLike = type[Schema] | Schema

class Blueprint(flask.Blueprint):
    ARGUMENTS_PARSER: FlaskParser
    def __init__(
        self, name: str, import_name: str, *args: Any, description: str = ..., **kwargs: Any
    ) -> None: ...
    def route(
        self,
        rule: str,
        *,
        parameters: Sequence[Any] | None = ...,
        tags: Sequence[str] | None = ...,
        **options: Any,
    ) -> Callable[[_F], _F]: ...
    def get(self, rule: str, **options: Any) -> Callable[[_F], _F]: ...
    def post(self, rule: str, **options: Any) -> Callable[[_F], _F]: ...
    def put(self, rule: str, **options: Any) -> Callable[[_F], _F]: ...
    def patch(self, rule: str, **options: Any) -> Callable[[_F], _F]: ...
    def delete(self, rule: str, **options: Any) -> Callable[[_F], _F]: ...
    def arguments(
        self,
        schema: _SchemaLike,
        *,
        location: str = ...,
        content_type: str | None = ...,
        required: bool = ...,
        description: str | None = ...,
        example: Any = ...,
        examples: Mapping[str, Any] | None = ...,
        **kwargs: Any,
    ) -> Callable[[_F], _F]: ...
    def response(
        self,
        status_code: int | str,
        schema: _SchemaLike | None = ...,
        *,
        content_type: str | None = ...,
        description: str | None = ...,
        example: Any = ...,
        examples: Mapping[str, Any] | None = ...,
        headers: Mapping[str, Any] | None = ...,
    ) -> Callable[[_F], _F]: ...
    def alt_response(
        self,
        status_code: int | str,
        response: str | None = ...,
        *,
        schema: _SchemaLike | None = ...,
        content_type: str | None = ...,
        description: str | None = ...,
        example: Any = ...,
        examples: Mapping[str, Any] | None = ...,
        headers: Mapping[str, Any] | None = ...,
        success: bool = ...,
    ) -> Callable[[_F], _F]: ...
    @staticmethod
    def doc(**kwargs: Any) -> Callable[[_F], _F]: ...

class Api:
    ERROR_SCHEMA: type[Schema]
    DEFAULT_RESPONSE_CONTENT_TYPE: str
    DEFAULT_ERROR_RESPONSE_NAME: str
    spec: APISpec
    def __init__(
        self,
        app: flask.Flask | None = ...,
        *,
        spec_kwargs: Mapping[str, Any] | None = ...,
        config_prefix: str = ...,
    ) -> None: ...
    def init_app(
        self, app: flask.Flask, *, spec_kwargs: Mapping[str, Any] | None = ...
    ) -> None: ...
    def register_blueprint(
        self, blp: Blueprint, *, parameters: Sequence[Any] | None = ..., **options: Any
    ) -> None: ...
    def _register_error_handlers(self) -> None: ...
    def _register_responses(self) -> None: ...

def abort(http_status_code: int, exc: Exception | None = ..., **kwargs: Any) -> NoReturn: ...
def __getattr__(name: str) -> Any: ...
