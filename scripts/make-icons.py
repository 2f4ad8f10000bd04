#!/usr/bin/env python3
"""Draws the extension's toolbar icons (PNG, 16-128 px) with the standard
library only: a rounded square with a gate, anti-aliased by supersampling.
Run it after changing the design; the PNGs are committed."""
import struct
import sys
import zlib
from pathlib import Path

BACKGROUND = (37, 99, 235)  # blue 600
FOREGROUND = (255, 255, 255)
SUPERSAMPLE = 4


def inside(x: float, y: float) -> tuple[bool, bool]:
    """(in the rounded square, in the gate) for a point in the unit square."""
    radius = 0.22
    cx = min(max(x, radius), 1 - radius)
    cy = min(max(y, radius), 1 - radius)
    in_square = (x - cx) ** 2 + (y - cy) ** 2 <= radius**2
    # The gate: two pillars, an arch over them, a step between them.
    pillar = 0.12
    left, right, top, bottom = 0.24, 0.76, 0.26, 0.80
    in_left = left <= x <= left + pillar and 0.42 <= y <= bottom
    in_right = right - pillar <= x <= right and 0.42 <= y <= bottom
    ax, ay, outer, inner = 0.5, 0.46, 0.26, 0.14
    d2 = (x - ax) ** 2 + (y - ay) ** 2
    in_arch = y <= ay and inner**2 <= d2 <= outer**2 and y >= top - 0.01
    # The threshold: a low step across the opening.
    in_step = left <= x <= right and bottom - 0.05 <= y <= bottom
    return in_square, in_left or in_right or in_arch or in_step


def render(size: int) -> bytes:
    rows = []
    n = SUPERSAMPLE
    for py in range(size):
        row = bytearray([0])  # filter: none
        for px in range(size):
            square = gate = 0
            for sy in range(n):
                for sx in range(n):
                    s, g = inside((px + (sx + 0.5) / n) / size, (py + (sy + 0.5) / n) / size)
                    square += s
                    gate += s and g
            alpha = square / (n * n)
            mix = gate / square if square else 0
            color = [round(b * (1 - mix) + f * mix) for b, f in zip(BACKGROUND, FOREGROUND)]
            row += bytes(color + [round(alpha * 255)])
        rows.append(bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"".join(rows), 9)) + chunk(b"IEND", b"")


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "extension/static/icons")
    out.mkdir(parents=True, exist_ok=True)
    for size in (16, 32, 48, 128):
        (out / f"icon-{size}.png").write_bytes(render(size))


if __name__ == "__main__":
    main()
