"""Regenerate the demo photos in dataset/images and test_dataset/images from installed packages.

The demo data set ships real photos that the project may redistribute: sample images bundled in the
scikit-image and scikit-learn wheels, each public domain, CC0 or CC BY 2.0 (see PHOTOS_TABLE below and
the PHOTOS.md written beside each CSV). Nothing is downloaded; the files are read from the packages on disk.

Training and test photos are always different image files, as the project splits by image: where one
source photo feeds both splits, the test photo is a different crop (often mirrored) of the original.
Every output is RGB JPEG (quality 90), longest side at most 640 px.

Usage (from the repository root):
    python tools/make_demo_photos.py            # writes dataset/ and test_dataset/ images + PHOTOS.md
    python tools/make_demo_photos.py --check    # only checks that the sources are installed

Left out on purpose: moon.png, page.png and color.png (no licence or source stated by scikit-image) and
motorcycle_left/right.png (Middlebury 2014 stereo benchmark; no licence stated in the docstring or by the
benchmark), text.png (a drawing of letters, not a photo).
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from typing import Optional, Tuple

from PIL import Image, ImageOps

MAX_SIDE = 640        # longest side of every saved photo, in pixels
JPEG_QUALITY = 90     # small files, no visible artefacts at this size

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@dataclass(frozen=True)
class Source:
    """One photo file inside an installed package, with its licence as the package states it."""

    package: str       # "skimage" or "sklearn"
    relpath: str       # path inside the package
    title: str
    licence: str
    credit: str
    where_stated: str  # where the licence statement was read


SOURCES = {
    "chelsea": Source(
        "skimage", "data/chelsea.png", "Chelsea the cat",
        "CC0", "Stefan van der Walt (photographer)", "skimage.data.chelsea docstring"),
    "coffee": Source(
        "skimage", "data/coffee.png", "Coffee cup (Pikolo Espresso Bar)",
        "CC0", "Rachel Michetti (photographer), courtesy of Pikolo Espresso Bar",
        "skimage.data.coffee docstring"),
    "astronaut": Source(
        "skimage", "data/astronaut.png", "Astronaut Eileen Collins",
        "Public domain (NASA; no known copyright restrictions)",
        "NASA, via the NASA Great Images database (https://flic.kr/p/r9qvLn)",
        "skimage.data.astronaut docstring"),
    "rocket": Source(
        "skimage", "data/rocket.jpg", "Falcon 9 with DSCOVR at Launch Complex 40, Cape Canaveral",
        "Public domain (released by SpaceX, March 2015)",
        "SpaceX (https://www.flickr.com/photos/spacexphotos/16511594820/)",
        "skimage.data.rocket docstring; see also scikit-image issue #5095 on the Flickr label"),
    "hubble": Source(
        "skimage", "data/hubble_deep_field.jpg", "Hubble eXtreme Deep Field",
        "Public domain (NASA media guidelines)",
        "NASA / HubbleSite (news release 2012-37)", "skimage.data.hubble_deep_field docstring"),
    "horse": Source(
        "skimage", "data/horse.png", "Horse silhouette (clip art, not a photo)",
        "CC0", "Andreas Preuss (marauder), openclipart.org/detail/158377",
        "skimage.data.horse docstring"),
    "coins": Source(
        "skimage", "data/coins.png", "Greek coins from Pompeii",
        "No known copyright restrictions (Brooklyn Museum open collection)",
        "Brooklyn Museum Collection, image 51611", "skimage.data.coins docstring"),
    "camera": Source(
        "skimage", "data/camera.png", "Man with a camera on a tripod",
        "CC0", "Lav Varshney (photographer)", "skimage.data.camera docstring"),
    "retina": Source(
        "skimage", "data/retina.jpg", "Fundus photograph of a normal left eye",
        "CC0 1.0", "Mikael Häggström (Wikimedia Commons)", "skimage.data.retina docstring"),
    "brick": Source(
        "skimage", "data/brick.png", "Brick wall",
        "CC0", "CC0Textures (Bricks25), transformed by scikit-image",
        "skimage.data.brick docstring"),
    "grass": Source(
        "skimage", "data/grass.png", "Grass",
        "CC0", "linolafett on DeviantArt (Grass-01), cropped by scikit-image",
        "skimage.data.grass docstring"),
    "gravel": Source(
        "skimage", "data/gravel.png", "Gravel",
        "CC0", "CC0Textures (Gravel04), cropped by scikit-image", "skimage.data.gravel docstring"),
    "china": Source(
        "sklearn", "datasets/images/china.jpg", "Pagoda above a lake, China",
        "CC BY 2.0 (attribution required)",
        "danielbuechele on Flickr (https://www.flickr.com/photos/danielbuechele/6061409035/); "
        "retrieved by Robert Layton",
        "sklearn/datasets/images/README.txt"),
    "flower": Source(
        "sklearn", "datasets/images/flower.jpg", "Orange dahlia",
        "CC BY 2.0 (attribution required)",
        "vultilion on Flickr (https://www.flickr.com/photos/vultilion/6056698931/); the README's "
        "attribution line names danielbuechele, its link names vultilion; retrieved by Robert Layton",
        "sklearn/datasets/images/README.txt"),
}


@dataclass(frozen=True)
class View:
    """One saved photo: a source, an optional crop box (left, top, right, bottom) in source pixels, a mirror flag."""

    out_name: str
    source: str
    box: Optional[Tuple[int, int, int, int]] = None
    mirror: bool = False

    def describe(self) -> str:
        if self.box is None and not self.mirror:
            return "whole image"
        parts = []
        if self.box is not None:
            parts.append("crop (left, top, right, bottom) = %s" % (self.box,))
        if self.mirror:
            parts.append("mirrored left-right")
        return ", ".join(parts)


TRAIN_VIEWS = [
    View("chelsea.jpg", "chelsea"),
    View("coffee.jpg", "coffee"),
    View("astronaut.jpg", "astronaut"),
    View("rocket.jpg", "rocket"),
    View("hubble_deep_field.jpg", "hubble"),
    View("hubble_deep_field_zoom.jpg", "hubble", box=(0, 0, 500, 436)),
    View("horse.jpg", "horse"),
    View("coins.jpg", "coins"),
    View("china.jpg", "china"),
    View("china_pagoda.jpg", "china", box=(0, 0, 400, 427)),
    View("flower.jpg", "flower"),
    View("camera.jpg", "camera"),
    View("retina.jpg", "retina"),
    View("brick.jpg", "brick"),
    View("grass.jpg", "grass"),
    View("gravel.jpg", "gravel"),
]

TEST_VIEWS = [
    View("chelsea_face.jpg", "chelsea", box=(60, 0, 390, 300), mirror=True),
    View("coffee_cup.jpg", "coffee", box=(100, 0, 460, 360), mirror=True),
    View("astronaut_portrait.jpg", "astronaut", box=(96, 0, 416, 320)),
    View("rocket_pad.jpg", "rocket", box=(160, 0, 480, 427), mirror=True),
    View("hubble_deep_field_corner.jpg", "hubble", box=(500, 436, 1000, 872), mirror=True),
    View("horse_mirrored.jpg", "horse", box=(20, 10, 400, 328), mirror=True),
    View("coins_rows.jpg", "coins", box=(0, 150, 384, 303)),
    View("china_lake.jpg", "china", box=(200, 30, 640, 427), mirror=True),
    View("flower_closeup.jpg", "flower", box=(150, 40, 450, 370), mirror=True),
    View("camera_tripod.jpg", "camera", box=(40, 100, 440, 512), mirror=True),
    View("brick_mirrored.jpg", "brick", box=(128, 128, 512, 512), mirror=True),
]


def package_dir(package: str) -> str:
    """Folder of an installed package (imported only to find its files)."""
    if package == "skimage":
        import skimage
        return os.path.dirname(skimage.__file__)
    if package == "sklearn":
        import sklearn
        return os.path.dirname(sklearn.__file__)
    raise ValueError("package must be 'skimage' or 'sklearn', got %r" % (package,))


def source_path(key: str) -> str:
    src = SOURCES[key]
    return os.path.join(package_dir(src.package), src.relpath)


def load_rgb(path: str) -> Image.Image:
    """Open a photo as RGB; transparent pixels (the horse clip art) go on white."""
    im = Image.open(path)
    if im.mode in ("RGBA", "LA") or (im.mode == "P" and "transparency" in im.info):
        im = im.convert("RGBA")
        background = Image.new("RGBA", im.size, (255, 255, 255, 255))
        im = Image.alpha_composite(background, im)
    return im.convert("RGB")


def render(view: View) -> Image.Image:
    im = load_rgb(source_path(view.source))
    if view.box is not None:
        im = im.crop(view.box)
    if view.mirror:
        im = ImageOps.mirror(im)
    if max(im.size) > MAX_SIDE:
        scale = MAX_SIDE / max(im.size)
        im = im.resize((round(im.width * scale), round(im.height * scale)), Image.LANCZOS)
    return im


def photos_md(split: str, views) -> str:
    """The provenance table written beside each split's CSV."""
    lines = [
        "# Photos in `%s/images`" % split,
        "",
        "Written by `tools/make_demo_photos.py` from sample photos bundled in the installed scikit-image",
        "and scikit-learn wheels (nothing downloaded). All are real photos except `horse`, a CC0 clip-art",
        "silhouette. Crops and mirror images of a real photo are still that photo, reframed; the",
        "training and test splits never share an image file. Saved as RGB JPEG, quality %d, longest side <= %d px."
        % (JPEG_QUALITY, MAX_SIDE),
        "",
        "| file | source (package: file) | view | licence | original credit | licence stated in |",
        "|---|---|---|---|---|---|",
    ]
    for v in views:
        s = SOURCES[v.source]
        lines.append("| images/%s | %s: %s | %s | %s | %s | %s |" % (
            v.out_name, s.package, s.relpath, v.describe(), s.licence, s.credit, s.where_stated))
    lines += [
        "",
        "CC BY 2.0 photos (china, flower) may be redistributed and adapted with attribution:",
        "https://creativecommons.org/licenses/by/2.0/ . The credit column above is that attribution.",
        "The post texts and hashtags in `image_text_tag.csv` were written for this demo by the project.",
        "",
    ]
    return "\n".join(lines)


def write_split(split: str, views) -> int:
    out_dir = os.path.join(REPO_ROOT, split, "images")
    os.makedirs(out_dir, exist_ok=True)
    total = 0
    for v in views:
        path = os.path.join(out_dir, v.out_name)
        render(v).save(path, "JPEG", quality=JPEG_QUALITY, optimize=True)
        total += os.path.getsize(path)
        print("%-45s %7d bytes" % (os.path.relpath(path, REPO_ROOT), os.path.getsize(path)))
    with open(os.path.join(REPO_ROOT, split, "PHOTOS.md"), "w", encoding="utf-8") as f:
        f.write(photos_md(split, views))
    return total


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="only check that every source file exists")
    args = parser.parse_args(argv)

    missing = [k for k in SOURCES if not os.path.exists(source_path(k))]
    if missing:
        print("missing source photos: %s" % ", ".join(source_path(k) for k in missing), file=sys.stderr)
        return 1
    train_names = {v.out_name for v in TRAIN_VIEWS}
    clash = train_names & {v.out_name for v in TEST_VIEWS}
    if clash:
        raise ValueError("test views must not reuse training file names, got %s" % sorted(clash))
    if args.check:
        print("all %d source photos found" % len(SOURCES))
        return 0
    total = write_split("dataset", TRAIN_VIEWS) + write_split("test_dataset", TEST_VIEWS)
    print("%d + %d photos, %.2f MB" % (len(TRAIN_VIEWS), len(TEST_VIEWS), total / 1e6))
    return 0


if __name__ == "__main__":
    sys.exit(main())
