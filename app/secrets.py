"""Secrets (OAuth tokens, the Web Connector password) kept only in the OS keyring (C3)."""

from __future__ import annotations

import os
import threading

import keyring
import keyring.core
import keyring.errors
from jaraco.classes import properties
from keyring.backend import KeyringBackend
from keyring.backends.chainer import ChainerBackend

from app.logs import register_secret

SERVICE = "Bookbridge"


class SecretStoreUnavailable(RuntimeError):
    """No usable keyring backend: the user must install one or choose an explicit option."""


class ChosenKeyring(KeyringBackend):
    """A keyring Bookbridge picks itself, which keyring's own search must never pick: found
    by the search, the memory keyring would keep a user's tokens until the program exits."""

    @properties.classproperty
    def priority(cls) -> float:
        raise RuntimeError("chosen by Bookbridge only, never by keyring's search")


class MemoryKeyring(ChosenKeyring):
    """Secrets held in this process only (BOOKBRIDGE_KEYRING=memory: tests and --demo)."""

    def __init__(self) -> None:
        super().__init__()
        self._values: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()

    def get_password(self, service: str, username: str) -> str | None:
        with self._lock:
            return self._values.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        with self._lock:
            self._values[(service, username)] = password

    def clear(self) -> None:
        with self._lock:
            self._values.clear()

    def delete_password(self, service: str, username: str) -> None:
        with self._lock:
            if self._values.pop((service, username), None) is None:
                raise keyring.errors.PasswordDeleteError(username)


_memory = MemoryKeyring()
_override: KeyringBackend | None = None


def use_backend(backend: KeyringBackend | None) -> None:
    """Keep secrets in `backend` from now on (the sync process asks the window's keyring);
    None goes back to the usual choice."""
    global _override
    _override = backend


def keyring_backend() -> KeyringBackend:
    """Where secrets are kept in this process (the sync process's questions are answered
    from it)."""
    return _backend()


def _backend() -> KeyringBackend:
    if _override is not None:
        return _override
    if os.environ.get("BOOKBRIDGE_KEYRING") == "memory":
        return _memory
    backend = keyring.get_keyring()
    if not _keeps_secrets(backend):
        raise SecretStoreUnavailable(
            "No system keyring is available to keep your QuickBooks connection safe. "
            "Install and unlock a keyring (GNOME Keyring, KWallet, macOS Keychain or "
            "Windows Credential Manager), or set PYTHON_KEYRING_BACKEND to a keyring you "
            "choose (for example keyrings.alt.file.EncryptedKeyring)."
        )
    return backend


def _keeps_secrets(backend: KeyringBackend) -> bool:
    """Is this an operating system's keyring (or one the user chose)? keyring's search may
    settle on a stand-in: one that fails every call, or a plain file from keyrings.alt."""
    if os.environ.get("PYTHON_KEYRING_BACKEND") or keyring.core.load_config() is not None:
        return True  # the user's own choice
    if isinstance(backend, ChainerBackend):  # writes go to its first keyring that works
        backend = backend.backends[0] if backend.backends else backend
    stand_ins = ("keyring.backends.fail", "keyring.backends.chainer", "keyrings.alt")
    if isinstance(backend, ChosenKeyring):
        return False
    return not type(backend).__module__.startswith(stand_ins)


def _account(profile: str, name: str) -> str:
    return f"{profile}/{name}"


def get_secret(profile: str, name: str) -> str | None:
    value = _backend().get_password(SERVICE, _account(profile, name))
    register_secret(value)  # scrubbed from every log record from now on
    return value


def set_secret(profile: str, name: str, value: str) -> None:
    register_secret(value)
    _backend().set_password(SERVICE, _account(profile, name), value)


def delete_secret(profile: str, name: str) -> None:
    try:
        _backend().delete_password(SERVICE, _account(profile, name))
    except keyring.errors.PasswordDeleteError:
        pass
