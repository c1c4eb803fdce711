"""Local stand-ins for the sales channels (Shopify, WooCommerce, Square, Stripe).

`sandbox_for(platform)` gives the stand-in class of a platform; all of them are built on
`app.sandbox.channels.server.ChannelSandbox` and share its seller actions and faults.
"""

from __future__ import annotations

from app.sandbox.channels.server import ChannelSandbox


def sandboxes() -> dict[str, type[ChannelSandbox]]:
    """Every platform's stand-in, by platform name (the same names as the registry)."""
    from app.sandbox.channels.shopify import ShopifySandbox
    from app.sandbox.channels.square import SquareSandbox
    from app.sandbox.channels.stripe import StripeSandbox
    from app.sandbox.channels.woocommerce import WooSandbox

    found: list[type[ChannelSandbox]] = [ShopifySandbox, WooSandbox]
    found += [SquareSandbox, StripeSandbox]  # issue 7b
    return {cls.platform: cls for cls in found}


def sandbox_for(platform: str) -> type[ChannelSandbox]:
    return sandboxes()[platform]
