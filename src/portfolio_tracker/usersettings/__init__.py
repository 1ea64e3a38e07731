"""User settings: base currency, locale and time zone."""
