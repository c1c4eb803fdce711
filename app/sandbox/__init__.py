"""Local stand-ins for the remote systems (QuickBooks Online, Desktop, sales channels)."""
