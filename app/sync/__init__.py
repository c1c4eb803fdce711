"""The Qt-free sync engine and the QuickBooks backends it drives."""
