"""In-app notifications, and their delivery by email (SMTP) and webhook through an outbox."""
