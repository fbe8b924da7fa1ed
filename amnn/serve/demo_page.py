"""The web demo's page (Gradio Blocks): photo, caption and tags in; ranked hashtags out.

`build_page(recommender, examples)` lays the page out and wires its button to
`make_handler(recommender)`, the function Gradio calls for every request (tests call it
directly too); a caption model gets `build_caption_page(writer, examples)` and
`make_caption_handler(writer)` instead: photo and hashtags in, the caption out. Every
answer is a result or a message left in the result pane until the next request: a bad
input (no photo and no text, a file that is no photo, a photo over the pixel limit) says
what to do there and costs the server's log one line; an unexpected failure is logged with
its traceback while the page only says that it happened. Requests wait in Gradio's queue
and reach the model one at a time.

Gradio is imported inside the functions, so importing this module costs nothing.

Example:
    >>> page = build_page(DemoRecommender.from_model_folder("models/demo", "/tmp/d"),
    ...                   example_posts("test_dataset"))                # doctest: +SKIP
    >>> page.queue(default_concurrency_limit=1).launch(server_name="127.0.0.1")
    ... # doctest: +SKIP
    >>> [post[1][:20] for post in example_posts("test_dataset", count=2)]
    ['Close up of the boss', 'Little red cup, big ']
    >>> print(refusal("Upload a photo.", "Cannot recommend hashtags"))
    **Cannot recommend hashtags.** Upload a photo.
"""

from __future__ import annotations

import logging
from pathlib import Path

from amnn.serve.demo_photos import DemoInputError

TITLE = "AMNN hashtag recommender"
CAPTION_TITLE = "AMNN caption writer"
INTRO = ("Upload a photo (or pick an example below), write its caption, and get hashtags "
         "ranked with their probabilities: the network's own, mixed with the vote of the "
         "most similar training posts in the share this model chose when it was trained. "
         "Tags you already have are never recommended back; the model continues from them. "
         "The picture says what each tag is made of, which training posts voted for it, "
         "and, where the network had a share, where it looked in the photo and which "
         "caption words it read most.")
# What the caption page asks for, by what the model reads: (photo, hashtags) -> words.
CAPTION_ASKS = {(True, True): "Upload a photo (or pick an example below) and give the "
                              "post's hashtags",
                (True, False): "Upload a photo (or pick an example below)",
                (False, True): "Give the post's hashtags (or pick an example below)"}
CAPTION_INTRO = (": this model (trained with --task caption) writes the post's caption, "
                 "exactly as predict.py writes its predicted_caption.")
MAX_TOP_K = 20
# Uploads over this size are refused by Gradio before they reach the model.
MAX_FILE_SIZE = "100mb"
_log = logging.getLogger("amnn.demo")


def example_posts(data, count: int = 4, text: str = "caption") -> list[list[str]]:
    """[photo path, caption] of the first `count` posts of `data` with distinct photos.

    `text="hashtags"` gives [photo path, '#tag #tag'] instead (the caption page's inputs).
    """
    from amnn.data.posts import read_posts

    posts = read_posts(data, require_hashtags=False, check_images=False)
    texts = posts.texts if text == "caption" else [
        " ".join(f"#{tag}" for tag in tags) for tags in posts.hashtags or [[]] * len(posts)]
    examples, seen = [], set()
    for path, words in zip(posts.image_paths, texts):
        if path and path not in seen and Path(path).is_file():
            seen.add(path)
            examples.append([path, words])
        if len(examples) == count:
            break
    return examples


def refusal(message: str, title: str) -> str:
    """The result pane's Markdown for a request that cannot be answered."""
    return f"**{title}.** {message}"


def _refused(message: str) -> None:
    """One line in the server's log for a user's mistake: no traceback, nothing to fix here."""
    _log.warning("refused a request: %s", " ".join(message.split()))


def _failed(error: Exception):
    """A bug: its traceback goes to the server's log; the page only says that it happened."""
    import gradio as gr

    _log.exception("the demo failed on a request")
    # print_exception=False: Gradio would print a second traceback, of this gr.Error.
    return gr.Error(f"Something went wrong on the server ({type(error).__name__}); its log "
                    "has the details.", title="Server error", print_exception=False)


def make_handler(recommender):
    """The function behind the page's button: (photo, caption, given, top_k) -> outputs.

    Returns (label scores, overlay path, '#tag #tag' line, note). A post that cannot be
    answered empties the results and leaves its message in the note; a bug raises gr.Error.
    """

    def recommend(photo, caption, given, top_k):
        try:
            result = recommender.recommend(photo, caption, given, int(top_k or 5))
        except DemoInputError as error:
            _refused(str(error))
            return None, None, "", refusal(str(error), "Cannot recommend hashtags")
        except Exception as error:
            raise _failed(error) from None
        return result.scores, result.overlay, result.hashtags, result.note

    return recommend


def make_caption_handler(writer):
    """The caption page's button: (photo, hashtags) -> (caption, note), as make_handler."""

    def write(photo, hashtags):
        try:
            result = writer.write(photo, hashtags)
        except DemoInputError as error:
            _refused(str(error))
            return "", refusal(str(error), "Cannot write a caption")
        except Exception as error:
            raise _failed(error) from None
        return result.caption, result.note

    return write


def _photo_input(**options):
    """gr.Image whose upload step hands on any file, so that the model side words a refusal.

    Gradio opens the upload with Pillow first and would fail the whole request on a file
    that is no photo, or one with far too many pixels: the page would show a fading toast
    and "Error" in every result. The upload's path is passed on instead, and
    `amnn.serve.demo_photos.check_photo` says what is wrong with it in the result pane.
    """
    import gradio as gr
    from PIL import Image

    photo = gr.Image(**options)
    read_upload = photo.preprocess

    # Wrapped on the instance, not subclassed: Gradio writes a .pyi stub next to the source
    # of every Component subclass it sees defined.
    def preprocess(payload):
        try:
            return read_upload(payload)
        except (Image.DecompressionBombError, Image.UnidentifiedImageError, OSError,
                SyntaxError, ValueError):
            if payload is None or payload.path is None:
                raise
            return str(payload.path)

    photo.preprocess = preprocess
    return photo


def _photo(**options):
    # image_mode=None and type="filepath": the upload is passed on untouched, EXIF tag
    # included, never decoded here (the model reads it upright).
    return _photo_input(label="Photo", type="filepath", image_mode=None,
                        sources=["upload", "clipboard"], elem_id="photo", **options)


def build_page(recommender, examples: list[list[str]] | None = None, top_k: int = 5):
    """The demo's gr.Blocks, wired to `recommender`; launch it with a queue."""
    import gradio as gr

    handler = make_handler(recommender)
    with gr.Blocks(title=TITLE, analytics_enabled=False,
                   delete_cache=(3600, 3600)) as page:  # uploads and overlays: an hour
        gr.Markdown(f"# {TITLE}\n{INTRO}")
        with gr.Row():
            with gr.Column():
                photo = _photo()
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


def build_caption_page(writer, examples: list[list[str]] | None = None):
    """The caption model's gr.Blocks ([photo, '#tag #tag'] examples), wired to `writer`."""
    import gradio as gr

    config = writer.predictor.config
    handler = make_caption_handler(writer)
    with gr.Blocks(title=CAPTION_TITLE, analytics_enabled=False,
                   delete_cache=(3600, 3600)) as page:
        asks = CAPTION_ASKS[config.include_image, config.caption_from_hashtags]
        gr.Markdown(f"# {CAPTION_TITLE}\n{asks}{CAPTION_INTRO}")
        with gr.Row():
            with gr.Column():
                photo = _photo(visible=config.include_image)
                tags = gr.Textbox(label="The post's hashtags", elem_id="given",
                                  placeholder="#cat, pets",
                                  visible=config.caption_from_hashtags)
                button = gr.Button("Write a caption", variant="primary", elem_id="recommend")
            with gr.Column():
                caption = gr.Textbox(label="Caption", elem_id="caption_out", lines=3,
                                     buttons=["copy"], interactive=False)
                note = gr.Markdown(elem_id="note")
        # Only the inputs this model reads take examples (a hidden one would fill nothing).
        shown = [(photo, config.include_image), (tags, config.caption_from_hashtags)]
        if examples:
            gr.Examples([[cell for cell, (_, used) in zip(example, shown) if used]
                         for example in examples],
                        inputs=[box for box, used in shown if used], label="Example posts")
        button.click(handler, [photo, tags], [caption, note], api_name="write_caption",
                     concurrency_limit=1)
    return page
