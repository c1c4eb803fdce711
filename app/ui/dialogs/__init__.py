"""Dialogs: confirmations, the crash dialog and the link picker."""
