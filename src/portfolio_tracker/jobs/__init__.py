"""Scheduled jobs: what runs when, once per slot across every process."""
