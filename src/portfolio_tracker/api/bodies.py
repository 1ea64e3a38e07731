"""The base of every request body, and the one way an update says "may be left out but
not null"."""

from __future__ import annotations

from typing import Any, TypeVar

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator


def omit_null(schema: dict[str, Any]) -> None:
    """`json_schema_extra` of a field that may be left out but not sent as null.

    The Python type stays Optional (None marks "left out"); `StrictBody` refuses an explicit
    null with a 422, and the document must not offer null as a value either.
    """
    schema.pop("default", None)
    variants = schema.get("anyOf")
    if not isinstance(variants, list):
        return
    kept = [variant for variant in variants if variant != {"type": "null"}]
    del schema["anyOf"]
    if len(kept) == 1:
        own = dict(schema)
        schema.clear()
        schema.update({**kept[0], **own})
    else:
        schema["anyOf"] = kept


def optional_not_null(**kwargs: Any) -> Any:
    """Field of an update body: left out keeps the stored value, an explicit null is a 422
    (raised by `StrictBody`) and null is not offered by the document."""
    return Field(default=None, json_schema_extra=omit_null, **kwargs)


class StrictBody(BaseModel):
    """Unknown fields are refused everywhere, so a typo never silently does nothing; NUL
    characters are refused in every text field (PostgreSQL cannot store them); a field
    declared with `optional_not_null()` refuses an explicit null."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul_characters(cls, value: object) -> object:
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("must not contain NUL characters")
        return value

    @field_validator("*", mode="after")
    @classmethod
    def _not_null_when_given(cls, value: object, info: ValidationInfo) -> object:
        # Defaults are not validated, so None here is a null the client sent.
        field = cls.model_fields.get(info.field_name or "")
        if value is None and field is not None and field.json_schema_extra is omit_null:
            raise ValueError("may be left out but not null")
        return value


Whole = TypeVar("Whole", bound=BaseModel)


def validate_whole(create: type[Whole], merged: dict[str, Any]) -> Whole:
    """An update validated as the whole object it produces, by the create schema: `merged`
    is the stored object with the request's fields applied. A refusal is the 422 a create
    of that object would get (`loc` ["body", field]), so an update never accepts what a
    create refuses."""
    try:
        return create.model_validate(merged)
    except ValidationError as exc:
        errors = [
            {"loc": ("body", *err["loc"]), "msg": err["msg"], "type": err["type"]}
            for err in exc.errors(include_url=False)
        ]
        raise RequestValidationError(errors) from exc
