"""Price and portfolio alerts: set by the user, evaluated by a scheduled job."""
