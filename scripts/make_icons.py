"""Draws Bookbridge's application icon (PNG for the window, ICO for Windows, ICNS for macOS).

Run once after changing the drawing: `QT_QPA_PLATFORM=offscreen .venv/bin/python
scripts/make_icons.py`. The files it writes are committed; build.spec and the window use them.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QGuiApplication, QImage, QImageWriter, QPainter, QPen

ROOT = Path(__file__).resolve().parents[1]
PNG = ROOT / "app" / "ui" / "icons" / "bookbridge.png"
ICO = ROOT / "resources" / "icons" / "bookbridge.ico"
ICNS = ROOT / "resources" / "icons" / "bookbridge.icns"


def draw(size: int) -> QImage:
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    p = QPainter(image)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    s = size / 256
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QColor("#1f6f78"))
    p.drawRoundedRect(QRectF(8 * s, 8 * s, 240 * s, 240 * s), 48 * s, 48 * s)
    # the bridge: an arch over two piers, joining the two "books"
    pen = QPen(QColor("#f4f1e8"), 14 * s)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    p.setPen(pen)
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawArc(QRectF(44 * s, 92 * s, 168 * s, 140 * s), 20 * 16, 140 * 16)
    p.drawLine(QPointF(40 * s, 172 * s), QPointF(216 * s, 172 * s))
    for x in (84, 128, 172):
        p.drawLine(QPointF(x * s, 126 * s if x != 128 else 102 * s), QPointF(x * s, 172 * s))
    p.setPen(QColor("#f4f1e8"))
    font = QFont("DejaVu Sans")
    font.setPixelSize(int(64 * s))
    font.setBold(True)
    p.setFont(font)
    p.drawText(QRectF(0, 180 * s, 256 * s, 64 * s), Qt.AlignmentFlag.AlignCenter, "BB")
    p.end()
    return image


def main() -> int:
    QGuiApplication(sys.argv[:1])
    for path in (PNG, ICO, ICNS):
        path.parent.mkdir(parents=True, exist_ok=True)
    draw(256).save(str(PNG), "PNG")
    for path, fmt in ((ICO, b"ico"), (ICNS, b"icns")):
        writer = QImageWriter(str(path), fmt)
        if not writer.write(draw(256)):
            print(f"could not write {path}: {writer.errorString()}", file=sys.stderr)
            return 1
    print(f"wrote {PNG}, {ICO}, {ICNS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
