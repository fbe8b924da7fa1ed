"""The web demo's page (Gradio Blocks): photo, caption and tags in; ranked hashtags out.

`build_page(recommender, examples)` lays the page out and wires its button to
`make_handler(recommender)`, the function Gradio calls for every request (tests call it
directly too). Every answer is either a result or a one-line message on the page
(`gr.Error`): bad inputs say what to do, and an unexpected failure is logged on the server
with its traceback while the page only says that it happened. Requests wait in Gradio's
queue and reach the model one at a time.

Gradio is imported inside the functions, so importing this module costs nothing.

Example:
    >>> page = build_page(DemoRecommender.from_model_folder("models/demo", "/tmp/d"),
    ...                   example_posts("test_dataset"))                # doctest: +SKIP
    >>> page.queue(default_concurrency_limit=1).launch(server_name="127.0.0.1")
    ... # doctest: +SKIP
    >>> [post[1][:20] for post in example_posts("test_dataset", count=2)]
    ['Close up of the boss', 'Little red cup, big ']
"""

from __future__ import annotations

import logging
from pathlib import Path

from amnn.serve.demo_app import NOT_A_PHOTO, DemoInputError

TITLE = "AMNN hashtag recommender"
INTRO = ("Upload a photo (or pick an example below), write its caption, and get hashtags "
         "ranked with their probabilities: the network's own, mixed with the vote of the "
         "most similar training posts in the share this model chose when it was trained. "
         "Tags you already have are never recommended back; the model continues from them. "
         "The picture says what each tag is made of, which training posts voted for it, "
         "and, where the network had a share, where it looked in the photo and which "
         "caption words it read most.")
MAX_TOP_K = 20
# Uploads over this size are refused by Gradio before they reach the model.
MAX_FILE_SIZE = "100mb"
_log = logging.getLogger("amnn.demo")


def example_posts(data, count: int = 4) -> list[list[str]]:
    """[photo path, caption] of the first `count` posts of `data` with distinct photos."""
    from amnn.data.posts import read_posts

    posts = read_posts(data, require_hashtags=False, check_images=False)
    examples, seen = [], set()
    for path, caption in zip(posts.image_paths, posts.texts):
        if path and path not in seen and Path(path).is_file():
            seen.add(path)
            examples.append([path, caption])
        if len(examples) == count:
            break
    return examples


def make_handler(recommender):
    """The function behind the page's button: (photo, caption, given, top_k) -> outputs.

    Returns (label scores, overlay path, '#tag #tag' line, note); raises gr.Error with a
    message for the page when the post cannot be answered.
    """
    import gradio as gr

    def recommend(photo, caption, given, top_k):
        try:
            result = recommender.recommend(photo, caption, given, int(top_k or 5))
        except DemoInputError as error:
            raise gr.Error(str(error), title="Cannot recommend") from None
        except Exception as error:  # a bug: the traceback is for the server's log only
            _log.exception("the demo failed on a request")
            raise gr.Error(f"Something went wrong on the server ({type(error).__name__}); "
                           "its log has the details.", title="Server error") from None
        return result.scores, result.overlay, result.hashtags, result.note

    return recommend


def _photo_input(**options):
    """gr.Image whose upload step turns a file that is no image into a message."""
    import gradio as gr
    from PIL import Image

    photo = gr.Image(**options)
    read_upload = photo.preprocess

    # Wrapped on the instance, not subclassed: Gradio writes a .pyi stub next to the source
    # of every Component subclass it sees defined.
    def preprocess(payload):
        try:
            return read_upload(payload)
        except Image.DecompressionBombError:  # Pillow's own guard, far above ours
            raise gr.Error("This photo has far too many pixels.",
                           title="Cannot recommend") from None
        except (Image.UnidentifiedImageError, OSError, SyntaxError, ValueError):
            raise gr.Error(NOT_A_PHOTO, title="Cannot recommend") from None

    photo.preprocess = preprocess
    return photo


def build_page(recommender, examples: list[list[str]] | None = None, top_k: int = 5):
    """The demo's gr.Blocks, wired to `recommender`; launch it with a queue."""
    import gradio as gr

    handler = make_handler(recommender)
    with gr.Blocks(title=TITLE, analytics_enabled=False,
                   delete_cache=(3600, 3600)) as page:  # uploads and overlays: an hour
        gr.Markdown(f"# {TITLE}\n{INTRO}")
        with gr.Row():
            with gr.Column():
                # image_mode=None and type="filepath": the upload is passed on untouched,
                # EXIF tag included, never decoded here (the model reads it upright).
                photo = _photo_input(label="Photo", type="filepath", image_mode=None,
                                     sources=["upload", "clipboard"], elem_id="photo")
                caption = gr.Textbox(label="Caption", lines=3, elem_id="caption",
                                     placeholder="What the post says (may be empty)")
                given = gr.Textbox(label="Hashtags you already have (optional)",
                                   elem_id="given", placeholder="#cat, pets")
                count = gr.Slider(1, MAX_TOP_K, value=min(top_k, MAX_TOP_K), step=1,
                                  label="Hashtags to recommend", elem_id="top_k")
                button = gr.Button("Recommend hashtags", variant="primary",
                                   elem_id="recommend")
            with gr.Column():
                scores = gr.Label(label="Recommended hashtags", num_top_classes=MAX_TOP_K,
                                  elem_id="scores")
                line = gr.Textbox(label="Copy them", elem_id="hashtags", buttons=["copy"],
                                  interactive=False)
                note = gr.Markdown(elem_id="note")
                # No label: it would cover the overlay's own title.
                overlay = gr.Image(label="Why these hashtags", show_label=False,
                                   type="filepath", interactive=False, elem_id="overlay")
        if examples:
            gr.Examples(examples, inputs=[photo, caption], label="Example posts")
        button.click(handler, [photo, caption, given, count], [scores, overlay, line, note],
                     api_name="recommend", concurrency_limit=1)
    return page
