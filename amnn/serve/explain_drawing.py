"""One PNG per explained post: what decided each tag, the network or the neighbours' vote.

Top: the headline says the mix (e.g. "network 25% + neighbours' vote 75%"), and one line per
tag gives its probability, the network's and the vote's, and the nearest remembered
training posts that voted for it. Then, only when the network had a share, the network's
attention: the photo as the model saw it (upright by EXIF, its central square: the
encoder's 7x7 regions cover that square), with each tag's region attention upsampled
smoothly (bilinear) over it as a heat map, one panel per tag -- or a single panel, labelled
with every tag, when all tags come from one decoder step (rank mode) -- and the caption's
words as the user wrote them, each shaded by its weight (words the model does not know are
struck through in grey: it read them as one unknown word). With the vote alone the network
decided nothing, and no attention is drawn.

Example:
    >>> import numpy as np, tempfile, pathlib
    >>> from amnn.serve.explain import PostExplanation
    >>> why = PostExplanation(["nyc", "storm"], [0.5, 0.2], np.full((2, 7, 7), 1 / 49),
    ...                       ["storm", "in", "Manhattan"], np.array([[.6, .1, .3], [.2, .2, .6]]),
    ...                       shared_step=False, known_words=[True, True, False],
    ...                       network_probabilities=[0.4, 0.3], vote_probabilities=[0.6, 0.1],
    ...                       vote_weight=0.5)
    >>> out = draw_explanation(why, None, "Storm in Manhattan", pathlib.Path(tempfile.mkdtemp()) / "a.png")
    >>> out.stat().st_size > 1000
    True
"""

from __future__ import annotations

import importlib.util
import pathlib
import warnings
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")  # files only: no display, and safe in a server thread
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import font_manager  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image, ImageOps  # noqa: E402

if TYPE_CHECKING:
    from amnn.serve.explain import PostExplanation

PANEL = 3.0       # inches per photo panel
COLUMNS = 3       # panels per row
FONT = 10         # caption word size, points
LINE = 0.30       # inches per line of words
VOTERS_DRAWN = 4  # voting posts drawn, nearest first
VOTER_W, VOTER_PHOTO = 1.5, 1.0  # inches per voter, and its photo's height
VOTERS_H = 0.55 + VOTER_PHOTO + 0.6  # the voters' row: title, photo, two lines of caption
_HEAT = plt.get_cmap("jet")
_SHADE = plt.get_cmap("Oranges")
# Fallbacks for tags and captions in scripts DejaVu lacks, used only where installed
# (naming a missing font makes matplotlib log a warning per figure).
_FALLBACKS = ("Noto Sans CJK KR", "Noto Sans CJK JP", "Noto Sans CJK SC", "NanumGothic",
              "Malgun Gothic", "AppleGothic", "Noto Sans Arabic", "Noto Sans Devanagari")


def _add_bundled_hangul_font() -> None:
    """Register NanumGothic from the `koreanize-matplotlib` wheel, if no CJK font is installed.

    Matplotlib ships no Hangul glyphs and Colab has no CJK font, so Korean tags and words
    would be drawn as boxes. The package is located without importing it: its import would
    change matplotlib's global font settings for the whole process.
    """
    spec = importlib.util.find_spec("koreanize_matplotlib")
    if spec is None or not spec.submodule_search_locations:
        return
    for folder in spec.submodule_search_locations:
        for name in ("NanumGothic.ttf", "NanumGothicBold.ttf"):
            path = pathlib.Path(folder) / "fonts" / name
            if path.is_file():
                font_manager.fontManager.addfont(str(path))


def _families() -> list[str]:
    installed = {font.name for font in font_manager.fontManager.ttflist}
    if not installed & {"Noto Sans CJK KR", "NanumGothic"}:
        _add_bundled_hangul_font()
        installed = {font.name for font in font_manager.fontManager.ttflist}
    return ["DejaVu Sans"] + [name for name in _FALLBACKS if name in installed]


def draw_explanation(explanation: "PostExplanation", photo_path: str | None, caption: str,
                     out_path) -> pathlib.Path:
    """Write one PNG explaining one post (see the module docstring); returns its path."""
    why, out = explanation, pathlib.Path(out_path)
    shared = why.shared_step
    labels = [f"#{tag}" for tag in why.tags]
    network = why.network_decided
    panels = [] if why.region_weights is None or not why.tags or not network else (
        [(" ".join(labels), why.region_weights[0])] if shared
        else list(zip(labels, why.region_weights)))
    word_rows = []
    if why.words and why.word_weights is not None and why.tags and network:
        word_rows = ([("all tags", why.word_weights[0])] if shared
                     else [(f"#{tag}", row) for tag, row in zip(why.tags, why.word_weights)])
    width = PANEL * max(1, min(len(panels), COLUMNS)) if len(panels) > 1 else 2 * PANEL
    width = max(width, 0.2 + VOTER_W * VOTERS_DRAWN)  # the tag lines and the voters' row
    with plt.rc_context({"font.family": _families()}):
        return _draw(why, photo_path, caption, out, panels, word_rows, width)


def _draw(why, photo_path, caption, out, panels, word_rows, width) -> pathlib.Path:
    shared = why.shared_step
    photo = _photo(photo_path) if panels else None
    fig = plt.figure(figsize=(width, 1.0), dpi=100)
    try:
        layout = _word_layout(fig, why.words or [], word_rows, width, why.known_words)
        grid_rows = -(-len(panels) // COLUMNS) if len(panels) > 1 else len(panels)
        strip = voter_strip(why)
        tag_lines = _tag_lines(why, strip)
        voters_top = 0.45 + LINE * len(tag_lines)
        title_h = voters_top + (VOTERS_H if strip else 0.0) + (0.3 if panels else 0.0)
        panel_h = PANEL + (0.3 if shared else 0.25)
        words_h = 0.35 + LINE * layout["lines"] if word_rows else 0.0
        caption_h = 0.0 if word_rows else 0.4
        height = title_h + grid_rows * panel_h + words_h + caption_h
        fig.set_size_inches(width, height)
        fig.text(0.5, 1 - 0.25 / height, _headline(why), ha="center", va="center",
                 fontsize=11, weight="bold")
        for number, line in enumerate(tag_lines):
            fig.text(0.1 / width, 1 - (0.6 + number * LINE) / height, line, fontsize=8.5,
                     va="center")
        if strip:
            _draw_voters(fig, strip, voters_top + 0.1, width, height)
        if panels:
            fig.text(0.1 / width, 1 - (title_h - 0.15) / height,
                     "the network's attention (its share of the tags above)", fontsize=8,
                     color="dimgray", va="center")
        for index, (label, weights) in enumerate(panels):
            row, col = divmod(index, COLUMNS) if len(panels) > 1 else (0, 0)
            side = PANEL - 0.3
            left = (col * PANEL + 0.15) if len(panels) > 1 else (width - side) / 2
            bottom = height - title_h - (row + 1) * panel_h + 0.1
            ax = fig.add_axes((left / width, bottom / height, side / width, side / height))
            _heat_panel(ax, photo, weights, label, shared)
        if word_rows:
            top = title_h + grid_rows * panel_h + 0.15
            _draw_words(fig, layout, top, width, height)
        elif caption:  # no text branch: still show what the post said
            fig.text(0.02, 0.2 / height, _short(caption, 120), fontsize=9, style="italic")
        out.parent.mkdir(parents=True, exist_ok=True)
        with warnings.catch_warnings():  # a script the font lacks (e.g. Hangul) draws boxes
            warnings.simplefilter("ignore")
            fig.savefig(out, dpi=100)
    finally:
        plt.close(fig)
    return out


def voter_strip(why, limit: int = VOTERS_DRAWN) -> list:
    """The distinct remembered posts that voted for any tag, nearest first (numbered 1..)."""
    seen, strip = set(), []
    for voter in sorted((v for voters in (why.voters or []) for v in voters),
                        key=lambda v: -v.similarity):
        key = (voter.caption, voter.photo)
        if key not in seen and len(strip) < limit:
            seen.add(key)
            strip.append(voter)
    return strip


def _tag_lines(why, strip) -> list[str]:
    """One line per tag: its probability, what it is made of, which voters voted for it."""
    lines = []
    numbers = {(v.caption, v.photo): n for n, v in enumerate(strip, 1)}
    for index, (tag, p) in enumerate(zip(why.tags, why.probabilities)):
        parts = []
        if why.network_probabilities is not None and why.network_decided:
            parts.append(f"network {why.network_probabilities[index]:.0%}")
        if why.vote_probabilities is not None and why.vote_weight > 0:
            parts.append(f"vote {why.vote_probabilities[index]:.0%}")
        line = f"#{tag} {p:.0%}" + (f" ({', '.join(parts)})" if parts else "")
        voters = [numbers[(v.caption, v.photo)] for v in (why.voters[index] if why.voters
                                                         else []) if (v.caption, v.photo) in numbers]
        if voters:
            line += "; voters " + ", ".join(str(n) for n in sorted(voters))
        lines.append(_short(line, 110))
    return lines


def _draw_voters(fig, strip, top, width, height) -> None:
    """The voting posts in a row: number, similarity, photo (when it is still there), caption."""
    fig.text(0.1 / width, 1 - top / height, "nearest training posts that voted (number: "
             "similarity × its view's share)", fontsize=8, color="dimgray", va="center")
    for number, voter in enumerate(strip, 1):
        left = 0.1 + (number - 1) * VOTER_W
        photo = _photo(voter.photo) if voter.photo else None
        ax = fig.add_axes((left / width, 1 - (top + 0.35 + VOTER_PHOTO) / height,
                           (VOTER_W - 0.15) / width, VOTER_PHOTO / height))
        ax.set_xticks([])
        ax.set_yticks([])
        if photo is not None:
            ax.imshow(photo)
        else:
            ax.text(0.5, 0.5, "no photo", ha="center", va="center", fontsize=7,
                    color="gray", transform=ax.transAxes)
        ax.set_title(f"{number}: {voter.similarity:.2f}", fontsize=8)
        fig.text(left / width, 1 - (top + 0.45 + VOTER_PHOTO) / height,
                 _wrap(_short(voter.caption, 60), 22), fontsize=6.5, va="top")


def _headline(why) -> str:
    if not why.tags:
        return "no tags (the photo could not be used)"
    weight = why.vote_weight
    if why.vote_probabilities is None or weight <= 0:
        return "Why these tags? The network alone decided them"
    if weight >= 1:
        return "Why these tags? The nearest training posts' vote alone decided them"
    return f"Why these tags? network {1 - weight:.0%} + nearest training posts' vote {weight:.0%}"


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _photo(path: str | None) -> np.ndarray | None:
    """The photo upright, cropped to its central square as the encoder does, or None."""
    if not path:
        return None
    try:
        with Image.open(path) as image:
            image = ImageOps.exif_transpose(image).convert("RGB")
            image = ImageOps.fit(image, (min(image.size),) * 2, centering=(0.5, 0.5))
            image.thumbnail((400, 400))
            return np.asarray(image)
    except (OSError, ValueError, Image.DecompressionBombError):
        return None  # shown as the heat map alone


def _heat_panel(ax, photo, weights, label, shared) -> None:
    extent = (0, 1, 1, 0)
    if photo is not None:
        ax.imshow(photo, extent=extent)
    # Bilinear: the 7x7 grid becomes a smooth map over the square the regions cover.
    ax.imshow(np.asarray(weights, np.float32), cmap=_HEAT, extent=extent,
              alpha=0.45 if photo is not None else 1.0, interpolation="bilinear",
              vmin=0.0)  # colour grows with the weight; a flat map stays flat-ish
    ax.set_xlim(0, 1)
    ax.set_ylim(1, 0)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(_wrap(label, 38) if shared else label, fontsize=9)


def _wrap(text: str, width: int) -> str:
    lines, line = [], ""
    for word in text.split(" "):
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return "\n".join(lines + [line])


def _word_layout(fig, words, rows, width, known=None) -> dict:
    """Positions (inches from the left, line numbers) of every row's label and words."""
    renderer = fig.canvas.get_renderer()
    sizes = {}
    for text, weight in [(w, "normal") for w in set(words)] + [(r[0], "bold") for r in rows]:
        probe = fig.text(0, 0, text, fontsize=FONT, weight=weight)  # labels are bold
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sizes[text] = max(sizes.get(text, 0.0),
                              probe.get_window_extent(renderer).width / fig.dpi)
        probe.remove()
    placed, line = [], 0
    known = known if known is not None else [True] * len(words)
    for label, weights in rows:
        placed.append((label, 0.1, line, None, True, sizes[label]))
        x = 0.1 + sizes[label] + 0.15
        top = float(np.max(weights)) if len(weights) else 1.0
        for word, weight, is_known in zip(words, weights, known):
            if x + sizes[word] > width - 0.1 and x > 0.1:
                line, x = line + 1, 0.3
            placed.append((word, x, line, float(weight) / top if top > 0 else 0.0, is_known,
                           sizes[word]))
            x += sizes[word] + 0.12
        line += 1
    return {"placed": placed, "lines": line}


def _draw_words(fig, layout, top, width, height) -> None:
    fig.text(0.1 / width, 1 - top / height, "caption words: the network's attention (darker: "
             "more; grey, struck: unknown to the model)",
             fontsize=8, color="dimgray", va="center")
    for text, x, line, shade, known, size in layout["placed"]:
        y = 1 - (top + 0.3 + line * LINE) / height
        if shade is None:
            fig.text(x / width, y, text, fontsize=FONT, weight="bold", va="center")
        elif not known:  # read as one unknown word: its weight is that word's
            fig.text(x / width, y, text, fontsize=FONT, va="center", color="gray",
                     bbox=dict(boxstyle="round,pad=0.15", edgecolor="gray", facecolor="none",
                               linestyle="--"))
            fig.add_artist(plt.Line2D([x / width, (x + size) / width], [y, y], color="gray",
                                      linewidth=0.8))
        else:
            fig.text(x / width, y, text, fontsize=FONT, va="center",
                     color="white" if shade > 0.6 else "black",
                     bbox=dict(boxstyle="round,pad=0.15", edgecolor="none",
                               facecolor=_SHADE(0.1 + 0.9 * shade)))
