"""Qt item models over the local store: they hold ids and fetch rows lazily."""
