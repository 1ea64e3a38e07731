"""Metal units, purity and Turkish coins, with hand-computed figures."""

from __future__ import annotations

import decimal
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portfolio_tracker.engine.metals import (
    TROY_OUNCE_GRAMS,
    Metal,
    MetalUnit,
    fine_grams,
    fine_troy_ounces,
    parse_metal,
    parse_purity,
    parse_unit,
    unit_price_from_spot,
)
from portfolio_tracker.engine.money import ENGINE_CONTEXT, quantize_money

D = Decimal


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("24k", "0.995"),
        ("22K", "0.916"),
        ("18 ayar", "0.750"),
        ("14 Ayar", "0.585"),
        ("22", "0.916"),  # a bare karat from the table
        ("916", "0.916"),
        ("995", "0.995"),
        ("999.9", "0.9999"),
        ("999,9", "0.9999"),  # Turkish decimal comma
        ("0.995", "0.995"),
        ("1", "1"),
        ("1000", "1"),
        ("99.99%", "0.9999"),
        ("%91,6", "0.916"),
    ],
)
def test_parse_purity_reads_karats_millesimals_and_fractions(text: str, expected: str) -> None:
    assert parse_purity(text) == D(expected)


@pytest.mark.parametrize(
    "text", ["", "0", "0.0", "23k", "22.5k", "50", "1001", "1.5", "gold", "-916", "%22k", "101%"]
)
def test_parse_purity_refuses_unknown_or_ambiguous_text(text: str) -> None:
    with pytest.raises(ValueError):
        parse_purity(text)


def test_one_troy_ounce_of_pure_metal_is_exactly_one() -> None:
    assert fine_troy_ounces(D(1), MetalUnit.TROY_OUNCE) == 1
    assert fine_troy_ounces(D("31.1034768"), "gram") == 1
    assert fine_troy_ounces(D(1), "kilogram") == fine_troy_ounces(D(1000), "gram")


def test_gram_gold_at_995_from_spot() -> None:
    # 2650 USD/oz spot, 1 g of 995 gold: 2650 * 0.995 / 31.1034768 = 84.7735... USD
    price = unit_price_from_spot(D(2650), "gram", parse_purity("24k"))
    assert quantize_money(price, 4) == D("84.7735")
    with decimal.localcontext(ENGINE_CONTEXT):
        assert price == D(2650) * D("0.995") / TROY_OUNCE_GRAMS


@pytest.mark.parametrize(
    ("coin", "fine_gold_grams"),
    [
        ("ceyrek", "1.606664"),  # 1.754 * 0.916
        ("yarim", "3.213328"),
        ("tam", "6.426656"),
        ("cumhuriyet", "6.609856"),  # 7.216 * 0.916
        ("gremse", "16.06664"),
    ],
)
def test_coins_carry_their_weight_and_fineness(coin: str, fine_gold_grams: str) -> None:
    assert fine_grams(D(1), coin) == D(fine_gold_grams)
    assert fine_grams(D(1), coin, D("0.916")) == D(fine_gold_grams)  # matching is accepted
    with decimal.localcontext(ENGINE_CONTEXT):
        expected_oz = D(fine_gold_grams) / TROY_OUNCE_GRAMS
    assert fine_troy_ounces(D(1), coin) == expected_oz


def test_ceyrek_price_from_spot() -> None:
    # 3 çeyrek at 2650 USD/oz: 3 * 1.754 * 0.916 * 2650 / 31.1034768 = 410.66... USD
    value = D(3) * unit_price_from_spot(D(2650), MetalUnit.CEYREK)
    assert quantize_money(value) == D("410.66")


def test_a_coin_refuses_a_different_fineness_and_silver() -> None:
    with pytest.raises(ValueError, match="fineness"):
        fine_troy_ounces(D(1), "ceyrek", D("0.995"))
    with pytest.raises(ValueError, match="gold coin"):
        fine_troy_ounces(D(1), "tam", metal="XAG")
    with pytest.raises(ValueError, match="gold coin"):
        unit_price_from_spot(D(30), MetalUnit.GREMSE, metal=Metal.XAG)


def test_silver_in_grams_and_ounces() -> None:
    assert fine_troy_ounces(D(10), "oz", D("0.999"), metal="silver") == D("9.99")
    assert fine_grams(D("1.5"), "kg", metal="XAG") == D(1500)


def test_explicit_fineness_overrides_the_default_of_one_for_bars() -> None:
    assert fine_grams(D(10), "gram") == D(10)
    assert fine_grams(D(10), "gram", D("0.585")) == D("5.850")
    for bad in (D(0), D("1.0001"), D("-0.5"), D("NaN")):
        with pytest.raises(ValueError):
            fine_grams(D(1), "gram", bad)


@pytest.mark.parametrize("quantity", [D("-1"), D("Infinity"), 1.5])
def test_bad_quantities_are_refused(quantity: object) -> None:
    with pytest.raises(ValueError, match="quantity"):
        fine_troy_ounces(quantity, "gram")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "unit"),
    [
        ("g", MetalUnit.GRAM),
        ("Gram", MetalUnit.GRAM),
        ("oz", MetalUnit.TROY_OUNCE),
        ("troy_ounce", MetalUnit.TROY_OUNCE),
        ("KG", MetalUnit.KILOGRAM),
        ("Çeyrek", MetalUnit.CEYREK),
        ("YARIM", MetalUnit.YARIM),
        ("yarım", MetalUnit.YARIM),
        ("Ata", MetalUnit.CUMHURIYET),
        ("gremse", MetalUnit.GREMSE),
    ],
)
def test_parse_unit_accepts_common_spellings(text: str, unit: MetalUnit) -> None:
    assert parse_unit(text) is unit


def test_unknown_units_and_metals_are_refused() -> None:
    with pytest.raises(ValueError):
        parse_unit("ounce of copper")
    with pytest.raises(ValueError):
        parse_metal("XPT")
    assert parse_metal("Altın") is Metal.XAU
    assert parse_metal("gümüş") is Metal.XAG


@given(
    quantity=st.decimals(0, 10**6, places=4),
    unit=st.sampled_from(list(MetalUnit)),
)
def test_value_is_linear_in_quantity(quantity: Decimal, unit: MetalUnit) -> None:
    one = fine_troy_ounces(D(1), unit)
    many = fine_troy_ounces(quantity, unit)
    with decimal.localcontext(ENGINE_CONTEXT):
        assert abs(many - quantity * one) <= D("1E-70") * max(quantity, D(1))
