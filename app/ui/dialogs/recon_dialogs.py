"""The dry run's findings ("Check…") and the undo's confirmation, with the actions that open them.

Both read QuickBooks off the GUI thread (app/ui/tasks.py) and show the result in a dialog
over an in-memory table model. The tabs get their action with one call:
`add_check_action(tab)` on Invoices and Bills, `add_undo_action(tab)` on Activity.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QSortFilterProxyModel, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.db.enums import DocKind
from app.services.dry_run import DryRun, check_documents
from app.services.undo import UndoPlan, UndoResult, plan_undo, undo_run
from app.sync.backend import AccountingBackend
from app.ui.models.recon_model import FindingsModel, PlanModel
from app.ui.models.rows_model import RowsModel
from app.ui.models.table_model import SORT_ROLE
from app.ui.widgets.message_bar import Level

Connect = Callable[[], AccountingBackend]


def backend_for(tab: Any) -> Connect:
    """The tab's way to reach QuickBooks: `connect_backend` when set (tests, demo), else the
    profile's company."""
    connect = getattr(tab, "connect_backend", None)
    if connect is not None:
        return connect
    from app.sync.connection import open_backend

    profile = tab.profile
    return lambda: open_backend(profile)


def table_for(
    model: RowsModel[Any], parent: QWidget, proxy: QSortFilterProxyModel | None = None,
    sort_column: int | None = None,
) -> QTableView:
    """A sortable, read-only view over a computed model (through `proxy` when given), in
    the model's own order until a header is clicked, or sorted by `sort_column`."""
    proxy = proxy or QSortFilterProxyModel(parent)
    proxy.setSourceModel(model)
    proxy.setSortRole(SORT_ROLE)
    view = QTableView(parent)
    view.setModel(proxy)
    view.setSortingEnabled(True)
    header = view.horizontalHeader()
    if sort_column is None:
        header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        proxy.sort(-1)
    else:
        view.sortByColumn(sort_column, Qt.SortOrder.AscendingOrder)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setWordWrap(False)
    view.verticalHeader().hide()
    view.verticalHeader().setDefaultSectionSize(view.fontMetrics().height() + 8)
    view.horizontalHeader().setStretchLastSection(True)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    return view


# -- dry run ----------------------------------------------------------------------------------


class CheckDialog(QDialog):
    """What QuickBooks would refuse, document by document; nothing was sent."""

    def __init__(self, result: DryRun, noun: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("checkDialog")
        self.setWindowTitle("Check before sending")
        self.dry_run = result
        self.model = FindingsModel(self)
        self.model.set_rows(sorted(result.findings, key=lambda f: (not f.blocking, f.number)))
        problems = len(result.problems)
        closing = (f" QuickBooks is closed up to {result.closing_date}."
                   if result.closing_date else "")
        if problems:
            head = (f"{result.checked} {noun} checked: {result.ready()} ready to send, "
                    f"{problems} problem{'s' if problems != 1 else ''} to fix first.")
        else:
            head = f"{result.checked} {noun} checked: QuickBooks should take them all."
        self.summary = QLabel(f"{head}{closing} Nothing was sent.", self)
        self.summary.setWordWrap(True)
        self.table = table_for(self.model, self)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
        self.resize(960, 420)
        self.table.setColumnWidth(0, 150)
        self.table.setColumnWidth(1, 150)
        self.table.setColumnWidth(2, 380)


def add_check_action(tab: Any, kind: DocKind, noun: str) -> QAction:
    """"Check…" on a documents tab: a dry run of the selected documents."""

    def on_triggered() -> None:
        ids = tab.table.selected_ids()
        if tab.busy:
            return
        if not ids:
            tab.bar.show_message(f"Select the {noun} to check first (Ctrl+A: all listed).",
                                 Level.INFO)
            return
        connect = backend_for(tab)
        tab.bar.show_message(f"Checking {len(ids)} {noun} against QuickBooks…", Level.INFO)
        tab.run_task(lambda: check_documents(tab.profile, connect(), kind, ids), on_checked)

    def on_checked(result: DryRun) -> None:
        problems = len(result.problems)
        tab.bar.show_message(
            f"Checked {result.checked} {noun}: {problems} problem"
            f"{'s' if problems != 1 else ''}; nothing was sent.",
            Level.WARNING if problems else Level.SUCCESS,
        )
        dialog = CheckDialog(result, noun, tab)
        tab.check_dialog = dialog
        dialog.open()

    return tab.add_action(
        "Check…", on_triggered,
        "Dry run: what QuickBooks would refuse in the selection, without sending anything",
        "Ctrl+Shift+K",
    )


# -- undo -------------------------------------------------------------------------------------


class UndoDialog(QDialog):
    """The confirmation of an undo: every step listed before anything happens."""

    def __init__(self, plan: UndoPlan, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("undoDialog")
        self.plan = plan
        what = "undo" if plan.undoes_undo else "run"
        self.setWindowTitle(f"Undo {what} {plan.run_id}")
        self.model = PlanModel(self)
        self.model.set_rows(plan.steps)
        closing = (f" QuickBooks is closed up to {plan.closing_date}: documents dated on or "
                   "before it are reversed by a credit memo or vendor credit dated today, "
                   "not deleted." if plan.closing_date else "")
        resume = (f" This finishes undo run {plan.resumes_run}, which stopped half way."
                  if plan.resumes_run else "")
        text = (f"Undoing run {plan.run_id} will do this in QuickBooks: {plan.summary()}."
                f"{resume}{closing} The undo is itself a run and can be undone.")
        if plan.notes:
            text += "\nNot undone: " + "; ".join(plan.notes) + "."
        self.summary = QLabel(text, self)
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.summary.setWordWrap(True)
        self.table = table_for(self.model, self)
        self.buttons = QDialogButtonBox(self)
        self.accept_button = self.buttons.addButton(
            f"Undo Run {plan.run_id}", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.accept_button.setEnabled(bool(plan.steps))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.buttons)
        self.resize(900, 400)
        self.table.setColumnWidth(0, 130)
        self.table.setColumnWidth(1, 200)


def add_undo_action(tab: Any) -> QAction:
    """"Undo this run…" on the Activity tab, for the run of the selected entry."""

    def on_triggered() -> None:
        record = tab.table.current_record() if tab.table.selected_count() == 1 else None
        run_id = getattr(record, "run_id", None)
        if run_id is None or tab.busy:
            return
        connect = backend_for(tab)
        tab.bar.show_message(f"Reading what run {run_id} did…", Level.INFO)
        tab.run_task(lambda: plan_undo(tab.profile, run_id, connect()),
                     lambda plan: on_planned(plan, connect))

    def on_planned(plan: UndoPlan, connect: Connect) -> None:
        tab.bar.show_message(f"Undo run {plan.run_id}: {plan.summary()}.", Level.INFO)
        dialog = UndoDialog(plan, tab)
        tab.undo_dialog = dialog
        dialog.accepted.connect(lambda: on_confirmed(plan, connect))
        dialog.open()

    def on_confirmed(plan: UndoPlan, connect: Connect) -> None:
        tab.bar.show_message(f"Undoing run {plan.run_id}…", Level.INFO)
        tab.run_task(lambda: undo_run(tab.profile, plan.run_id, connect), on_undone)

    def on_undone(result: UndoResult) -> None:
        text = (f"Undo run {result.run_id} of run {result.undone_run_id}: {result.done} done, "
                f"{result.skipped} skipped, {result.failed} failed.")
        if result.interrupted:
            text += " It stopped before the end: undo the run again to finish it."
        if result.messages:
            text += " " + result.messages[-1]
        level = Level.SUCCESS if result.exit_code == 0 else Level.WARNING
        tab.bar.show_message(text, level)
        tab.reload()
        if result.done and hasattr(tab, "work_queued"):
            tab.work_queued.emit()  # an undo of an undo queues documents to send again

    action: QAction = tab.add_action(
        "Undo This Run…", on_triggered,
        "Take back in QuickBooks what the selected entry's run sent (deleted, or reversed "
        "in a closed period); shows every step first",
    )
    return action


__all__ = ["CheckDialog", "UndoDialog", "add_check_action", "add_undo_action"]
