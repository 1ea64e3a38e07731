"""Exchange rates the user enters by hand (when no feed has one, or to patch a gap)."""
