from collections.abc import Iterator, Mapping
from typing import Any

class Form:
    data: dict[str, Any]
    errors: dict[str, Any]
    def __init__(
        self,
        formdata: Any = ...,
        obj: Any = ...,
        prefix: str = ...,
        data: Mapping[str, Any] | None = ...,
        meta: Mapping[str, Any] | None = ...,
        **kwargs: Any,
    ) -> None: ...
    def validate(self, extra_validators: Mapping[str, Any] | None = ...) -> bool: ...
    def __iter__(self) -> Iterator[Any]: ...
    def __getitem__(self, name: str) -> Any: ...
    # Fields are class attributes of each form (untyped here).
    def __getattr__(self, name: str) -> Any: ...

def __getattr__(name: str) -> Any: ...
