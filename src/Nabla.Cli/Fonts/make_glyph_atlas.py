#!/usr/bin/python3
"""Renders DejaVu Sans (DejaVuSans.ttf.gz beside this script) into the glyph atlas that the nabla
command draws its text with (Plotting/GlyphAtlas.cs), so that the plots need no native font library.

    /usr/bin/python3 src/Nabla.Cli/Fonts/make_glyph_atlas.py     # Debian: python3-pil

Writes DejaVuSans.atlas.gz: each pixel size in SIZES, each character in CHARACTERS, as FreeType
(through Pillow) renders it, hinted and anti-aliased. Layout, little-endian:
  "NGA1", u8 size count; per size: u8 pixel size, u8 ascent, u8 descent, u16 glyph count;
  per glyph: u16 code point, u16 advance in 1/64 pixel, i8 left, i8 top (of the bitmap, from the
  baseline, up negative), u8 width, u8 height, width × height bytes of coverage (row by row).
"""
import gzip
import io
import os
import struct

from PIL import Image, ImageDraw, ImageFont

HERE = os.path.dirname(os.path.abspath(__file__))
SIZES = [11, 12, 14, 16]
CHARACTERS = ([chr(c) for c in range(0x20, 0x7F)] + [chr(c) for c in range(0xA0, 0x100)]
              + list("\u2013\u2014\u2018\u2019\u201c\u201d\u2026\u2212\u2207\u00d7\u2192"))


def main():
    with gzip.open(os.path.join(HERE, "DejaVuSans.ttf.gz"), "rb") as f:
        ttf = f.read()
    out = io.BytesIO()
    out.write(b"NGA1")
    out.write(struct.pack("<B", len(SIZES)))
    for size in SIZES:
        font = ImageFont.truetype(io.BytesIO(ttf), size)
        ascent, descent = font.getmetrics()
        glyphs = sorted(set(CHARACTERS))
        out.write(struct.pack("<BBBH", size, ascent, descent, len(glyphs)))
        for ch in glyphs:
            left, top, right, bottom = font.getbbox(ch, anchor="ls")
            width, height = max(0, right - left), max(0, bottom - top)
            advance = round(font.getlength(ch) * 64)
            out.write(struct.pack("<HHbbBB", ord(ch), advance, left, top, width, height))
            if width and height:
                image = Image.new("L", (width, height), 0)
                ImageDraw.Draw(image).text((-left, -top), ch, font=font, fill=255, anchor="ls")
                out.write(image.tobytes())
    with gzip.GzipFile(os.path.join(HERE, "DejaVuSans.atlas.gz"), "wb", mtime=0) as f:
        f.write(out.getvalue())


if __name__ == "__main__":
    main()
