"""Consistent copies of the database, kept N days, and bringing one back."""
