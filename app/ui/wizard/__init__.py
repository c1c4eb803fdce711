"""The first-time set-up wizard (SPEC C1, F1-F4): Qt pages over app.services.setup_plan."""

from app.ui.wizard.wizard import SetupWizard, open_setup_wizard

__all__ = ["SetupWizard", "open_setup_wizard"]
