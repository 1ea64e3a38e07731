"""The yearly realised-gains report of one user (issue 13): standard and Türkiye mode.

Reads the user's assets, trades, rates and index series (owner-scoped) and hands them to the
pure engine (``engine.realized_report``, ``engine.tax_tr``). Nothing is written.

Rates: the standard mode converts with every stored rate and the user's manual rates, as the
portfolio does (``portfolio.loading.load_rates``). Türkiye mode reads only the rows the TCMB
feed stored (``exchange_rates.source = 'tcmb'``: its ``ForexBuying`` field, see
``prices/providers/tcmb.py``) and the user's manual rates of the same pairs, and names the
source of each rate it uses (``tcmb`` or ``manual``).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from portfolio_tracker.api.types import iso_currency
from portfolio_tracker.assets.service import list_assets
from portfolio_tracker.db.models import Asset, ExchangeRate, ManualRate
from portfolio_tracker.engine.fx import RateTable
from portfolio_tracker.engine.money import normalize_currency
from portfolio_tracker.engine.realized_report import (
    METHODS,
    AssetTotals,
    Piece,
    PieceSums,
    ReportRow,
    ReportTotals,
    asset_totals,
    pieces_of,
    realizations_of,
    report_rows,
    sum_pieces,
    year_totals,
)
from portfolio_tracker.engine.tax_tr import (
    INDEXATION_THRESHOLD,
    Month,
    TrRow,
    TrTotals,
    declaration_deadline,
    tr_row,
    tr_totals,
)
from portfolio_tracker.engine.vocabulary import CostBasisMethod
from portfolio_tracker.errors import InvalidInput
from portfolio_tracker.indices.service import series
from portfolio_tracker.portfolio.loading import Ledger, load_ledger, load_rates
from portfolio_tracker.prices.sources import effective_price_source
from portfolio_tracker.usersettings.service import get_settings

INDEX_NAME = "yi-ufe"  # the series Türkiye mode indexes with (POST /api/indices/yi-ufe)
TCMB_SOURCE = "tcmb"


class Mode(StrEnum):
    standard = "standard"
    tr = "tr"


@dataclass(frozen=True, slots=True)
class AssetRef:
    id: uuid.UUID
    name: str
    currency: str
    method: str


@dataclass(slots=True)
class StandardReport:
    year: int
    currency: str
    method: str | None  # None: each asset's own method
    assets: dict[str, AssetRef]
    rows: list[ReportRow]
    per_asset: list[AssetTotals]
    totals: ReportTotals


@dataclass(slots=True)
class TrReport:
    year: int
    method: str
    assets: dict[str, AssetRef]
    rows: list[TrRow]  # the declared rows: assets flagged foreign_security
    totals: TrTotals
    per_asset: list[tuple[str, PieceSums, TrTotals]]  # asset key, own-currency sums, TRY
    withholding: list[tuple[str, Piece]]  # (asset key, piece): BIST shares, TEFAS funds
    not_covered: list[AssetRef]  # other assets with sells in the year
    rate_sources: dict[tuple[str, date], str] = field(default_factory=dict)
    deadline: date = date.min
    index_name: str = INDEX_NAME
    threshold: Decimal = INDEXATION_THRESHOLD


def check_method(method: str | None) -> str | None:
    if method is not None and method not in METHODS:
        raise InvalidInput(
            f"unknown cost-basis method {method!r}; one of: {', '.join(METHODS)}",
            ["query", "method"],
        )
    return method


def _asset_method(ledger: Ledger, asset: Asset) -> str:
    return ledger.basis(str(asset.id)).method.value


def _ref(asset: Asset, method: str) -> AssetRef:
    return AssetRef(asset.id, asset.name, asset.currency, method)


def _pieces(ledger: Ledger, asset: Asset, method: str, year: int) -> list[Piece]:
    """The asset's pieces of ``year`` under ``method``, its confirmed corporate actions
    applied; a ``specific`` asset's allocations are used when computing ``specific``."""
    key = str(asset.id)
    basis = ledger.basis(key)
    allocations = basis.allocations if method == CostBasisMethod.specific else None
    realizations = realizations_of(
        ledger.trades.get(key, []), method, actions=basis.actions, allocations=allocations
    )
    return pieces_of(realizations, year)


def standard_report(
    db: Session, user_id: uuid.UUID, year: int, currency: str | None, method: str | None
) -> StandardReport:
    """Every (sell, lot) piece of the user's sells in ``year`` with figures in ``currency``
    (default: the user's base currency) under ``method`` (default: each asset's own).
    Raises InvalidInput for an unknown method or currency."""
    check_method(method)
    target = _currency(db, user_id, currency)
    assets = list_assets(db, user_id)
    ledger = load_ledger(db, user_id)
    refs: dict[str, AssetRef] = {}
    collected: list[tuple[Asset, list[Piece]]] = []
    for asset in assets:
        used = method or _asset_method(ledger, asset)
        pieces = _pieces(ledger, asset, used, year)
        if pieces:
            refs[str(asset.id)] = _ref(asset, used)
            collected.append((asset, pieces))
    rates = load_rates(
        db, user_id, {target, *(a.currency for a, _ in collected)}, date(year, 12, 31)
    )
    rows = [
        row
        for asset, pieces in collected
        for row in report_rows(str(asset.id), asset.currency, pieces, target, rates)
    ]
    return StandardReport(year, target, method, refs, rows, asset_totals(rows), year_totals(rows))


def _currency(db: Session, user_id: uuid.UUID, currency: str | None) -> str:
    if currency is None:
        return get_settings(db, user_id).base_currency
    try:
        return iso_currency(currency)
    except ValueError as exc:
        raise InvalidInput(str(exc), ["query", "currency"]) from exc


def withholding_kind(asset: Asset) -> str | None:
    """``bist`` for a Borsa Istanbul share (a stock whose ticker ends in ``.IS``, Yahoo's
    suffix for Istanbul), ``tefas`` for a fund priced by TEFAS; None otherwise. Their gains
    are taxed at source (withholding, GVK geçici 67), not declared."""
    ticker = (asset.ticker_symbol or "").upper()
    if asset.type == "stock" and ticker.endswith(".IS"):
        return "bist"
    feed = effective_price_source(asset.type, asset.ticker_symbol, asset.price_source)
    if asset.type == "fund" and feed == "tefas":
        return "tefas"
    return None


def tr_report(db: Session, user_id: uuid.UUID, year: int, method: str | None) -> TrReport:
    """Türkiye mode (``engine.tax_tr``): FIFO whatever the asset's method; the declared rows
    are the sells of assets flagged ``foreign_security``. ``method`` is ignored: the revenue
    administration's rule is first in, first out."""
    refs: dict[str, AssetRef] = {}
    declared: list[tuple[Asset, list[Piece]]] = []
    withholding: list[tuple[str, Piece]] = []
    not_covered: list[AssetRef] = []
    ledger = load_ledger(db, user_id)
    for asset in list_assets(db, user_id):
        pieces = _pieces(ledger, asset, "fifo", year)
        if not pieces:
            continue
        ref = refs[str(asset.id)] = _ref(asset, "fifo")
        if asset.foreign_security:
            declared.append((asset, pieces))
        elif withholding_kind(asset) is not None:
            withholding.extend((str(asset.id), p) for p in pieces)
        else:
            not_covered.append(ref)
    currencies = {normalize_currency(a.currency) for a, _ in declared} - {"TRY"}
    rates, sources = _tcmb_rates(db, user_id, currencies, date(year, 12, 31))
    index: dict[Month, Decimal] = {(m.year, m.month): v for m, v in series(db, user_id, INDEX_NAME)}
    rows = [
        tr_row(str(asset.id), asset.currency, p, rates, index, INDEX_NAME)
        for asset, pieces in declared
        for p in pieces
    ]
    return TrReport(
        year=year,
        method="fifo",
        assets=refs,
        rows=rows,
        totals=tr_totals(rows),
        per_asset=[
            (str(asset.id), sum_pieces(pieces), tr_totals(rows_of(rows, str(asset.id))))
            for asset, pieces in declared
        ],
        withholding=withholding,
        not_covered=not_covered,
        rate_sources=sources,
        deadline=declaration_deadline(year),
    )


def rows_of(rows: Sequence[TrRow], asset_key: str) -> list[TrRow]:
    return [r for r in rows if r.asset_key == asset_key]


def _tcmb_rates(
    db: Session, user_id: uuid.UUID, currencies: set[str], upto: date
) -> tuple[RateTable, dict[tuple[str, date], str]]:
    """TCMB buying rates (stored by the TCMB feed) of ``currencies`` against TRY, with the
    user's manual rates of those pairs on top; and the source of each (currency, day)."""
    if not currencies:
        return RateTable([]), {}
    wanted = sorted(currencies)

    def pair_filter(base: InstrumentedAttribute[str], quote: InstrumentedAttribute[str]) -> Any:
        return or_(and_(base.in_(wanted), quote == "TRY"), and_(base == "TRY", quote.in_(wanted)))

    stored: Sequence[tuple[date, str, str, Decimal]] = [
        (r.day, r.base, r.quote, r.rate)
        for r in db.execute(
            select(
                ExchangeRate.day, ExchangeRate.base, ExchangeRate.quote, ExchangeRate.rate
            ).where(
                ExchangeRate.source == TCMB_SOURCE,
                pair_filter(ExchangeRate.base, ExchangeRate.quote),
                ExchangeRate.day <= upto,
            )
        )
    ]
    manual: Sequence[tuple[date, str, str, Decimal]] = [
        (r.day, r.base, r.quote, r.rate)
        for r in db.execute(
            select(ManualRate.day, ManualRate.base, ManualRate.quote, ManualRate.rate).where(
                ManualRate.user_id == user_id,
                pair_filter(ManualRate.base, ManualRate.quote),
                ManualRate.day <= upto,
            )
        )
    ]
    sources: dict[tuple[str, date], str] = {}
    for source, rows in ((TCMB_SOURCE, stored), ("manual", manual)):
        for day, base, quote, _ in rows:
            sources[(quote if base == "TRY" else base, day)] = source
    return RateTable(stored, overrides=manual), sources
