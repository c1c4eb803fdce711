"""Run a function off the GUI thread; its result or error comes back on the GUI thread."""

from __future__ import annotations

import itertools
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

import shiboken6
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

T = TypeVar("T")
DoneCallback = Callable[[T | None, BaseException | None], None]


class _Dispatcher(QObject):
    """Lives on the GUI thread; workers emit `finished` and Qt queues the call over to it.

    One long-lived object for every task: creating and deleting a QObject per task races
    with Qt's delivery of the queued call.
    """

    finished = Signal(object, object, object)  # task key, result, error

    def __init__(self) -> None:
        super().__init__()
        self._keys = itertools.count()
        self._waiting: dict[int, tuple[DoneCallback[Any], weakref.ref[QObject] | None]] = {}
        self.finished.connect(self._on_finished)

    def register(self, on_done: DoneCallback[Any], context: QObject | None) -> int:
        key = next(self._keys)
        self._waiting[key] = (on_done, weakref.ref(context) if context is not None else None)
        return key

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    @Slot(object, object, object)
    def _on_finished(self, key: int, result: object, error: BaseException | None) -> None:
        on_done, context_ref = self._waiting.pop(key)
        if context_ref is not None:
            context = context_ref()
            if context is None or not shiboken6.isValid(context):
                return  # whoever asked is gone
        on_done(result, error)


_dispatcher: _Dispatcher | None = None


def _the_dispatcher() -> _Dispatcher:
    global _dispatcher
    if _dispatcher is None or not shiboken6.isValid(_dispatcher):
        _dispatcher = _Dispatcher()
    return _dispatcher


class _Task(QRunnable):
    def __init__(self, fn: Callable[[], Any], key: int, finished: Any) -> None:
        super().__init__()
        self._fn = fn
        self._key = key
        self._finished = finished

    def run(self) -> None:
        try:
            result = self._fn()
        except Exception as exc:  # handed to the callback on the GUI thread, never lost
            self._finished.emit(self._key, None, exc)
        else:
            self._finished.emit(self._key, result, None)


def run_in_background(
    fn: Callable[[], T],
    on_done: DoneCallback[T],
    *,
    context: QObject | None = None,
    pool: QThreadPool | None = None,
) -> None:
    """Call `fn()` on a worker thread, then `on_done(result, error)` on the GUI thread.

    `error` is the exception `fn` raised (then `result` is None), or None on success.
    If `context` is deleted before `fn` finishes, `on_done` is not called: whoever asked
    is gone. Call this from the GUI thread.
    """
    dispatcher = _the_dispatcher()
    key = dispatcher.register(on_done, context)
    (pool or QThreadPool.globalInstance()).start(_Task(fn, key, dispatcher.finished))


def waiting_tasks() -> int:
    """How many tasks have not delivered their answer yet (for tests and shutdown)."""
    return 0 if _dispatcher is None else _dispatcher.waiting
