"""Where orders come from: one connector per sales platform (SPEC S2)."""
