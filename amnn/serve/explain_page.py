"""The `predict.py --explain DIR` folder: one PNG per post and an index.html that lists them.

`index.html` is one self-contained page (no scripts, no outside files but the PNGs, by
relative path) that opens from disk: each explained post's picture, caption and tags with
their probabilities. All text is escaped.

Example:
    >>> import tempfile, pathlib
    >>> from amnn.serve.explain import PostExplanation
    >>> folder = pathlib.Path(tempfile.mkdtemp()) / "why"
    >>> writer = ExplanationFolder(folder, limit=2)
    >>> writer.add(PostExplanation(["nyc"], [0.5], None, ["storm"], [[1.0]], True), None,
    ...            "Storm <b>NYC</b>")
    >>> [p.name for p in writer.finish()]
    ['post_0001.png', 'index.html']
    >>> "Storm &lt;b&gt;NYC&lt;/b&gt;" in (folder / "index.html").read_text()
    True
"""

from __future__ import annotations

import html
import pathlib

from amnn.errors import AMNNError
from amnn.serve.explain import PostExplanation
from amnn.serve.explain_drawing import draw_explanation

INDEX = "index.html"
_OURS = ("post_*.png", INDEX)  # what --overwrite may replace in the folder


def check_explain_folder(folder: pathlib.Path, overwrite: bool) -> None:
    """Refuse a non-empty folder (or a file) unless --overwrite, before any work is done."""
    if folder.exists() and not folder.is_dir():
        raise AMNNError(f"--explain {folder} is a file; choose a folder")
    if folder.is_dir() and any(folder.iterdir()) and not overwrite:
        raise AMNNError(f"--explain folder {folder} exists and is not empty; pass --overwrite "
                        "to replace its explanations or choose another folder")


class ExplanationFolder:
    """Draws explained posts into `folder` as they come, up to `limit`, then the index.

    Old `post_*.png` files and index.html are removed first (the folder was checked by
    `check_explain_folder`), so the page never lists a stale picture.
    """

    def __init__(self, folder: pathlib.Path, limit: int):
        self.folder, self.limit = pathlib.Path(folder), int(limit)
        self.folder.mkdir(parents=True, exist_ok=True)
        for pattern in _OURS:
            for old in self.folder.glob(pattern):
                old.unlink()
        self.entries: list[tuple[str, str, PostExplanation]] = []

    @property
    def remaining(self) -> int:
        """How many more posts will be explained."""
        return max(0, self.limit - len(self.entries))

    def add(self, explanation: PostExplanation, photo_path: str | None, caption: str) -> None:
        """Draw one post's PNG (post_0001.png, ...)."""
        name = f"post_{len(self.entries) + 1:04d}.png"
        draw_explanation(explanation, photo_path or None, caption, self.folder / name)
        self.entries.append((name, caption, explanation))

    def finish(self) -> list[pathlib.Path]:
        """Write index.html; returns every file written (PNGs, then the index)."""
        path = self.folder / INDEX
        path.write_text(index_html(self.entries), encoding="utf-8")
        return [self.folder / name for name, _, _ in self.entries] + [path]


def index_html(entries) -> str:
    """The page: one section per (png name, caption, PostExplanation)."""
    sections = []
    for number, (name, caption, why) in enumerate(entries, 1):
        tags = "".join(f'<li><span class="tag">#{html.escape(tag)}</span> {p:.1%}</li>'
                       for tag, p in zip(why.tags, why.probabilities)) or "<li>(none)</li>"
        step = ("all tags ranked from one decoder step: one attention map for all"
                if why.shared_step else "each tag with the attention of its own decoder step")
        sections.append(
            f'<section id="post-{number}"><h2>Post {number}</h2>\n'
            f'<p class="caption">{html.escape(caption) or "<i>(no caption)</i>"}</p>\n'
            f'<ol class="tags">{tags}</ol>\n<p class="note">{step}</p>\n'
            f'<a href="{html.escape(name)}"><img src="{html.escape(name)}" '
            f'alt="attention for post {number}"></a></section>')
    body = "\n".join(sections) or "<p>No post was explained.</p>"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Why these hashtags?</title>
<style>
body {{ font-family: sans-serif; max-width: 60em; margin: 2em auto; padding: 0 1em; }}
section {{ border-top: 1px solid #ccc; padding: 1em 0; }}
img {{ max-width: 100%; }} .caption {{ font-style: italic; }}
.tags li {{ display: inline; margin-right: 1.2em; }} .tags {{ padding: 0; }}
.tag {{ font-weight: bold; }} .note {{ color: #666; font-size: 90%; }}
</style></head>
<body><h1>Why these hashtags?</h1>
<p>For each post: the tags recommended, with their probability, and where the model's
decoder looked in the photo (heat map over the central square the image encoder sees)
and in the caption (shaded words) when it chose them.</p>
{body}
</body></html>
"""
