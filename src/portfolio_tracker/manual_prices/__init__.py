"""Prices the user enters by hand for their own assets."""
