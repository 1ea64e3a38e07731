"""Request and response bodies of the corporate-actions API."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal, cast

from pydantic import BaseModel, Field

from portfolio_tracker.api.bodies import StrictBody
from portfolio_tracker.api.types import (
    DecimalText,
    IsoDay,
    PositiveDecimal,
    iso_day_schema,
)
from portfolio_tracker.db.models import CorporateAction
from portfolio_tracker.engine.vocabulary import CorporateActionKind

ExDate = Annotated[
    IsoDay,
    iso_day_schema(
        "ISO 8601 ex-date: the action applies at the start of this day, "
        "before its trades. Not after your today."
    ),
]


class CorporateActionCreate(StrictBody):
    """A split (numerator > denominator: 2-for-1 is 2/1), reverse split (1-for-10 is 1/10) or
    bonus issue: every open lot's quantity is multiplied by numerator/denominator and its
    unit cost by denominator/numerator on the ex-date. A bonus issue of p % is
    (100 + p)/100: give `bonus_percent` instead of the ratio."""

    type: CorporateActionKind
    ex_date: ExDate
    numerator: PositiveDecimal | None = Field(default=None, description="Below 1000000.")
    denominator: PositiveDecimal | None = Field(default=None, description="Below 1000000.")
    bonus_percent: PositiveDecimal | None = Field(
        default=None,
        description="Bonus issues only, instead of numerator/denominator: p % gives "
        "(100 + p)/100 (a 25 % bonus issue turns 100 shares into 125).",
    )


ActionStatus = Literal["confirmed", "suggested"]


class CorporateActionOut(BaseModel):
    id: uuid.UUID
    asset_id: uuid.UUID
    type: CorporateActionKind
    ex_date: date
    numerator: DecimalText
    denominator: DecimalText
    status: ActionStatus = Field(
        description="`confirmed`: applied to every figure; `suggested`: offered from the "
        "price feed's split events, applied only once confirmed."
    )
    source: str | None = Field(description="The feed of a suggestion; null when entered.")
    created_at: datetime

    @classmethod
    def of(cls, row: CorporateAction) -> CorporateActionOut:
        return cls(
            id=row.id,
            asset_id=row.asset_id,
            type=CorporateActionKind(row.kind),
            ex_date=row.ex_date,
            numerator=row.numerator,
            denominator=row.denominator,
            status=cast(ActionStatus, row.status),
            source=row.source,
            created_at=row.created_at,
        )
