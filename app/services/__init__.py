"""Use cases the window and the command line share: import, export, send, relink, report."""
