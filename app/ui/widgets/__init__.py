"""Small widgets the tabs share: the message bar, list view, filter chips and date range."""
