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
    >>> sorted(p.name for p in folder.iterdir())  # the working folder is gone
    ['index.html', 'post_0001.png']
"""

from __future__ import annotations

import html
import os
import pathlib
import shutil
import tempfile

from amnn.errors import AMNNError
from amnn.model.folder_swap import deferred_interrupts
from amnn.serve.explain import PostExplanation
from amnn.serve.explain_drawing import draw_explanation

INDEX = "index.html"
_OURS = ("post_*.png", INDEX)  # what --overwrite may replace in the folder
_STAGING_PREFIX = ".explaining-"  # where a run draws until it is finished


def check_explain_folder(folder: pathlib.Path, overwrite: bool) -> None:
    """Refuse a non-empty folder (or a file) unless --overwrite, before any work is done."""
    if folder.exists() and not folder.is_dir():
        raise AMNNError(f"--explain {folder} is a file; choose a folder")
    if folder.is_dir() and any(not _staging(path) for path in folder.iterdir()) \
            and not overwrite:
        raise AMNNError(f"--explain folder {folder} exists and is not empty; pass --overwrite "
                        "to replace its explanations or choose another folder")


def _staging(path: pathlib.Path) -> bool:
    """Whether `path` is a run's hidden working folder (an interrupted one's, if left)."""
    return path.name.startswith(_STAGING_PREFIX) and path.is_dir()


class ExplanationFolder:
    """Draws explained posts as they come, up to `limit`; `finish` puts them in `folder`.

    The pictures are drawn into a hidden working folder inside `folder`, and only `finish`
    replaces the old `post_*.png` files and index.html (the folder was checked by
    `check_explain_folder`), so an interrupted or failed run leaves the old explanations as
    they were and the page never lists a stale picture. `discard` removes the working folder.
    """

    def __init__(self, folder: pathlib.Path, limit: int):
        self.folder, self.limit = pathlib.Path(folder), int(limit)
        self.folder.mkdir(parents=True, exist_ok=True)
        for left in filter(_staging, self.folder.iterdir()):  # a killed run's, unfinished
            shutil.rmtree(left, ignore_errors=True)
        self.staging = pathlib.Path(tempfile.mkdtemp(prefix=_STAGING_PREFIX, dir=self.folder))
        self.entries: list[tuple[str, str, PostExplanation]] = []

    @property
    def remaining(self) -> int:
        """How many more posts will be explained."""
        return max(0, self.limit - len(self.entries))

    def add(self, explanation: PostExplanation, photo_path: str | None, caption: str) -> None:
        """Draw one post's PNG (post_0001.png, ...)."""
        name = f"post_{len(self.entries) + 1:04d}.png"
        draw_explanation(explanation, photo_path or None, caption, self.staging / name)
        self.entries.append((name, caption, explanation))

    def finish(self) -> list[pathlib.Path]:
        """Write index.html and swap the new files in; every file (PNGs, then the index)."""
        (self.staging / INDEX).write_text(index_html(self.entries), encoding="utf-8")
        names = [name for name, _, _ in self.entries] + [INDEX]
        with deferred_interrupts():  # old set or new set, never half of each
            for pattern in _OURS:
                for old in self.folder.glob(pattern):
                    old.unlink()
            for name in names:
                os.replace(self.staging / name, self.folder / name)
            self.discard()
        return [self.folder / name for name in names]

    def discard(self) -> None:
        """Remove the working folder and what was drawn into it (the old files stay)."""
        shutil.rmtree(self.staging, ignore_errors=True)


def _tag_item(why: PostExplanation, index: int) -> str:
    """One tag's list item: its probability, the network's and the vote's, its voters."""
    tag, p = why.tags[index], why.probabilities[index]
    parts = []
    if why.network_probabilities is not None and why.network_decided:
        parts.append(f"network {why.network_probabilities[index]:.1%}")
    if why.vote_probabilities is not None and why.vote_weight > 0:
        parts.append(f"vote {why.vote_probabilities[index]:.1%}")
    voters = why.voters[index] if why.voters else []
    voted = "".join(f"<li>{html.escape(v.caption) or '<i>(no caption)</i>'} "
                    f"(weight {v.similarity:.2f})</li>" for v in voters)
    return (f'<li><span class="tag">#{html.escape(tag)}</span> {p:.1%}'
            + (f" ({', '.join(parts)})" if parts else "")
            + (f'<ul class="voters">{voted}</ul>' if voted else "") + "</li>")


def _mix_note(why: PostExplanation) -> str:
    """What decided this post's tags, in words."""
    if why.vote_probabilities is None or why.vote_weight <= 0:
        decided = "the network alone"
    elif why.vote_weight >= 1:
        return "the nearest training posts' vote alone decided these tags"
    else:
        decided = (f"the network ({1 - why.vote_weight:.0%}) and the nearest training "
                   f"posts' vote ({why.vote_weight:.0%})")
    step = ("all tags ranked from one network step: one attention map for all"
            if why.shared_step else "each tag with the network's attention at its own step")
    return f"decided by {decided}; {step}"


def index_html(entries) -> str:
    """The page: one section per (png name, caption, PostExplanation)."""
    sections = []
    for number, (name, caption, why) in enumerate(entries, 1):
        tags = "".join(_tag_item(why, index) for index in range(len(why.tags))) \
            or "<li>(none)</li>"
        step = _mix_note(why)
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
.tags li {{ margin: 0.2em 0; }} .voters {{ color: #555; font-size: 90%; }}
.tag {{ font-weight: bold; }} .note {{ color: #666; font-size: 90%; }}
</style></head>
<body><h1>Why these hashtags?</h1>
<p>For each post: the tags recommended, each with its probability and what it is made of:
the network's own probability and the vote of the nearest training posts, mixed as the
model chose when it was trained, with the posts that voted. Where the network had a share,
the picture shows where it looked in the photo (heat map over the central square the image
encoder sees) and in the caption (shaded words).</p>
{body}
</body></html>
"""
