"""`make icons`: draw the home-screen icons in static/img/ from the foot drawing's outline.

Not a test (the file name does not start with test_); tests/test_pwa.py checks that the
committed icons are what this draws. A white foot on the site's blue: "any" icons on a
rounded square, and a maskable one full-bleed with the foot inside the safe circle (the middle
80%) that phones crop to their own shape.
"""

import re
from io import BytesIO
from pathlib import Path

from PIL import Image, ImageDraw

from diary.templatetags.diary_tags import FOOT_PATHS

FOLDER = Path(__file__).resolve().parent.parent / "static" / "img"
BLUE = (13, 110, 253, 255)
WHITE = (255, 255, 255, 255)
# Drawn this many times larger, then scaled down, for smooth edges.
SUPERSAMPLE = 4
# (file name, size, maskable)
ICONS = [("icon-192.png", 192, False), ("icon-512.png", 512, False)]
ICONS += [("icon-maskable-512.png", 512, True)]
TOKEN = re.compile(r"[MHVLQZ]|-?\d+(?:\.\d+)?")


def polygon(path, steps=12):
    """The points of an SVG path using M, H, V, L, Q and Z, with curves cut into steps."""
    tokens = TOKEN.findall(path)
    points, x, y, index = [], 0.0, 0.0, 0
    command = None
    while index < len(tokens):
        if tokens[index].isalpha():
            command = tokens[index]
            index += 1
            if command == "Z":
                continue
        take = {"M": 2, "L": 2, "H": 1, "V": 1, "Q": 4}[command]
        values = [float(token) for token in tokens[index : index + take]]
        index += take
        if command in "ML":
            x, y = values
            points.append((x, y))
        elif command == "H":
            x = values[0]
            points.append((x, y))
        elif command == "V":
            y = values[0]
            points.append((x, y))
        else:
            cx, cy, ex, ey = values
            for step in range(1, steps + 1):
                t = step / steps
                points.append(
                    (
                        (1 - t) ** 2 * x + 2 * (1 - t) * t * cx + t**2 * ex,
                        (1 - t) ** 2 * y + 2 * (1 - t) * t * cy + t**2 * ey,
                    )
                )
            x, y = ex, ey
    return points


def draw(size, maskable):
    big = size * SUPERSAMPLE
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    canvas = ImageDraw.Draw(image)
    if maskable:
        canvas.rectangle((0, 0, big, big), fill=BLUE)
        room = 0.56
    else:
        canvas.rounded_rectangle((0, 0, big - 1, big - 1), radius=big * 0.22, fill=BLUE)
        room = 0.76
    shapes = [polygon(path) for path in FOOT_PATHS.values()]
    xs = [x for shape in shapes for x, _y in shape]
    ys = [y for shape in shapes for _x, y in shape]
    width, height = max(xs) - min(xs), max(ys) - min(ys)
    scale = room * big / max(width, height)
    left = (big - width * scale) / 2 - min(xs) * scale
    top = (big - height * scale) / 2 - min(ys) * scale
    for shape in shapes:
        canvas.polygon([(left + x * scale, top + y * scale) for x, y in shape], fill=WHITE)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def png(size, maskable):
    buffer = BytesIO()
    draw(size, maskable).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def write_icons():
    for name, size, maskable in ICONS:
        (FOLDER / name).write_bytes(png(size, maskable))
