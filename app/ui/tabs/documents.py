"""What the Invoices and Bills tabs share: the document actions and their confirmations."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from PySide6.QtCore import QUrl
from PySide6.QtGui import QAction, QDesktopServices
from PySide6.QtWidgets import QWidget

from app.db.enums import AcctState, DocKind
from app.db.session import Profile
from app.services import document_actions as actions
from app.services.document_actions import ActionResult, Selection, WebAddress, noun
from app.ui.dialogs.confirm import confirm
from app.ui.dialogs.recon_dialogs import add_check_action
from app.ui.models.states import STATE_LABELS, STATE_TIPS, state_color
from app.ui.models.table_model import LazyTableModel
from app.ui.tabs.list_tab import ListTab
from app.ui.widgets.date_range import DateRange
from app.ui.widgets.message_bar import Level

F = TypeVar("F")

Run = Callable[[Profile, Sequence[int]], ActionResult]
Ask = Callable[[Selection], tuple[str, str, str, str] | None]  # title, text, detail, yes


@dataclass(frozen=True)
class Command:
    """One document action: what it runs, how its result reads, what it asks first."""

    action: QAction
    run: Run
    did: str  # "queued to send"
    ask: Ask | None = None


def ask_send_again(selection: Selection) -> tuple[str, str, str, str]:
    count = noun(selection.kind, len(selection.numbers))
    return (
        "Send again",
        f"Send {count} again?",
        f"{selection.listed()}.\n\nBookbridge first checks that each original is gone from "
        "QuickBooks and never creates a second one; if an original is still there, use Replace.",
        "Send Again",
    )


def ask_replace(selection: Selection) -> tuple[str, str, str, str]:
    count = noun(selection.kind, len(selection.numbers))
    there = len(selection.in_accounting)
    return (
        "Replace in QuickBooks",
        f"Replace {count} in QuickBooks?",
        f"{selection.listed()}.\n\n{there:,} of them are in QuickBooks now: each original is "
        "deleted there and the current version sent in its place, as one tracked operation.",
        "Replace",
    )


def ask_delete(selection: Selection) -> tuple[str, str, str, str] | None:
    there, pending = selection.in_accounting, selection.pending
    if not there and not pending:
        return None
    parts = []
    if there:
        parts.append(
            f"{noun(selection.kind, len(there))} will be deleted from QuickBooks: "
            f"{selection.listed(there)}."
        )
    queued_only = [n for n in pending if n not in there]
    if queued_only:
        parts.append(
            f"{len(queued_only):,} queued to send will be cancelled instead: "
            f"{selection.listed(queued_only)}."
        )
    return (
        "Delete from QuickBooks",
        f"Delete {noun(selection.kind, len(there) or len(queued_only))} from QuickBooks?",
        "\n\n".join(parts) + "\n\nThe local records are kept.",
        "Delete",
    )


class DocumentsTab(ListTab[F]):
    """A list of orders or bills with the accounting actions on the selected ones."""

    KIND = DocKind.INVOICE

    def __init__(
        self,
        profile: Profile,
        model: LazyTableModel[F, Any],
        key: str,
        parent: QWidget | None = None,
    ) -> None:
        chips = [(state, STATE_LABELS[state], STATE_TIPS[state]) for state in AcctState]
        super().__init__(profile, model, key, chips, parent, state_color)
        self.dates = DateRange(self)
        self.dates.changed.connect(self._on_filter_edited)
        self.opens_online = True
        self.commands: dict[str, Command] = {}
        self.send_now = self.add_command(
            "send_now",
            "Send Now",
            lambda profile, ids: actions.send_now(profile, self.KIND, ids),
            "queued to send",
            "Send the selected documents to QuickBooks now; cancels their automatic sends",
            "Ctrl+Return",
        )

    def add_command(
        self,
        name: str,
        text: str,
        run: Run,
        did: str,
        tip: str,
        shortcut: str | None = None,
        ask: Ask | None = None,
    ) -> QAction:
        """An action on the selected documents: `run(profile, ids)` off the GUI thread."""
        action = self.add_action(text, lambda: self._on_command(name), tip, shortcut)
        self.commands[name] = Command(action, run, did, ask)
        return action

    def add_send_again(self, did: str, tip: str) -> QAction:
        return self.add_command(
            "send_again",
            "Send Again",
            lambda profile, ids: actions.send_again(profile, self.KIND, ids),
            did,
            tip,
            ask=ask_send_again,
        )

    def add_delete(self, tip: str) -> QAction:
        return self.add_command(
            "delete",
            "Delete from QuickBooks",
            lambda profile, ids: actions.delete_remote(profile, self.KIND, ids),
            "queued to be deleted from QuickBooks",
            tip,
            "Shift+Del",
            ask=ask_delete,
        )

    def add_check(self, noun: str) -> QAction:
        """"Check…": a dry run of the selected documents against the company (issue 8)."""
        return add_check_action(self, self.KIND, noun)

    def add_open_online(self) -> QAction:
        return self.add_action(
            "Open in QuickBooks Online",
            self._on_open_online,
            "Open the selected document in QuickBooks Online, in your browser",
            "Ctrl+Shift+O",
        )

    def set_company(self, opens_online: bool) -> None:
        """Whether the company's documents open in a browser (QuickBooks Online only)."""
        self.opens_online = opens_online
        self.update_actions()

    # -- running commands ------------------------------------------------------------------

    def _on_command(self, name: str) -> None:
        command = self.commands[name]
        ids = self.table.selected_ids()
        if not ids or self.busy:
            return
        if command.ask is None:
            self._run_command(command, ids)
            return
        kind = self.KIND if name != "sales_order" else DocKind.SALES_ORDER
        self.run_task(
            lambda: actions.describe_selection(self.profile, kind, ids),
            lambda selection: self._on_selection_described(command, ids, selection),
        )

    def _on_selection_described(
        self, command: Command, ids: list[int], selection: Selection
    ) -> None:
        assert command.ask is not None
        question = command.ask(selection)
        if question is None:
            self.bar.show_message(
                f"None of the selected {self.model.noun} is in QuickBooks or queued.", Level.INFO
            )
            return
        if confirm(self, *question):
            self._run_command(command, ids)

    def _run_command(self, command: Command, ids: list[int]) -> None:
        self.run_task(
            lambda: command.run(self.profile, ids),
            lambda result: self._on_command_done(command, result),
        )

    def _on_command_done(self, command: Command, result: ActionResult) -> None:
        text = result.summary(command.did) or "Nothing to do."
        level = Level.WARNING if result.refused else Level.SUCCESS
        self.bar.show_message(text, level)
        if result.done:
            self.work_queued.emit()
        self.reload()

    def _on_open_online(self) -> None:
        ids = self.table.selected_ids()
        if len(ids) != 1:
            return
        self.run_task(
            lambda: actions.web_address(self.profile, self.KIND, ids[0]), self._on_address_read
        )

    def _on_address_read(self, address: WebAddress) -> None:
        if address.url is None:
            self.bar.show_message(address.reason, Level.INFO)
            return
        QDesktopServices.openUrl(QUrl(address.url))

    # -- enabling --------------------------------------------------------------------------

    def enable(self, name: str, on: bool) -> None:
        if name in self.commands:
            self.commands[name].action.setEnabled(on and not self.busy)
