"""The local store: models, the Money type, sessions and migrations."""
