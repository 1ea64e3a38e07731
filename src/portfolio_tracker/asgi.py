"""ASGI entry point for uvicorn: `portfolio_tracker.asgi:app`."""

from portfolio_tracker.app import create_app

app = create_app()
