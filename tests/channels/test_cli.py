"""`bookbridge store connect` and `bookbridge pull` against a stand-in shop."""

from __future__ import annotations

import io

import pytest

from app.cli import main
from app.sandbox.channels.shopify import ShopifySandbox


def _connect(monkeypatch: pytest.MonkeyPatch, shop: ShopifySandbox, token: str) -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(token + "\n"))
    return main(["--profile", "cli", "store", "connect", "Web", "--platform", "shopify",
                 "--url", shop.base_url, "--secrets-stdin"])


def test_connect_then_pull_prints_counts_and_exits_0(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with ShopifySandbox(shop_name="Maple Goods") as shop:
        shop.seed_orders(5)
        assert _connect(monkeypatch, shop, shop.token) == 0
        out = capsys.readouterr().out
        assert "Maple Goods" in out and shop.token not in out

        assert main(["--profile", "cli", "pull"]) == 0
        out = capsys.readouterr().out
        assert "Web (shopify): 5 orders seen, 5 new" in out

        assert main(["--profile", "cli", "store", "list"]) == 0
        assert "5 orders" in capsys.readouterr().out


def test_a_wrong_token_is_refused_before_anything_is_saved(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with ShopifySandbox() as shop:
        assert _connect(monkeypatch, shop, "shpat_wrong") == 1
        err = capsys.readouterr().err
        assert "refused the credentials" in err and "what to do" in err
        assert "shpat_wrong" not in err
        assert main(["--profile", "cli", "pull"]) == 0
        assert "no store is connected" in capsys.readouterr().out


def test_a_failing_store_makes_pull_exit_1_with_its_message(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with ShopifySandbox() as shop:
        assert _connect(monkeypatch, shop, shop.token) == 0
        shop.faults.revoke_credentials()
        capsys.readouterr()
        assert main(["--profile", "cli", "pull", "Web"]) == 1
        out = capsys.readouterr().out
        assert "failed: Shopify refused the credentials saved for store 'Web'" in out
        assert "what to do:" in out
