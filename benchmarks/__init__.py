"""Benchmarks that measure AMNN-Keras and write their numbers into docs/ and the README.

Run them from the repository root, e.g. `python -m benchmarks.quality`. Each writes its
JSON into benchmarks/results/ (docs and tests read it there) and rewrites its own marked
block of docs/BENCHMARKS.md.

One folder per family; each folder's `__init__.py` lists its modules:

    quality/       recommendation quality on real posts, and the fold protocol
                   that chooses every setting (tune, mix_rules, input_probe),
                   tag completion, epoch curves
    speed/         speed and memory against the published pipeline
                   (and published_reference.py, the published code's ways)
    scale/         training and prediction at 1k to 50k synthetic photos
    captions/      caption writing against retrieval baselines
    segmentation/  splitting hashtags into words, on hand-labelled tags
    figures/       the README's figures and pictures, and the demo in a browser
    common/        what the families share: paths, report blocks, the run log,
                   training as train.py trains, memory probes, the file launcher

Imports point one way: a family imports common/, never another family, and common/
imports no family.

The commands and where their code is:

    python -m benchmarks.quality          quality/benchmark.py   (quality/__main__.py)
    python -m benchmarks.speed            speed/benchmark.py     (speed/__main__.py)
    python -m benchmarks.scale            scale/benchmark.py     (scale/__main__.py)
    python -m benchmarks.captions         captions/benchmark.py  (captions/__main__.py)
    python -m benchmarks.segmentation     segmentation/benchmark.py
    python -m benchmarks.tune             quality/tune.py        (tune.py here)
    python -m benchmarks.mix_rules        quality/mix_rules.py   (mix_rules.py here)
    python -m benchmarks.input_probe      quality/input_probe.py (input_probe.py here)
    python -m benchmarks.epoch_curves     quality/epoch_curves.py (epoch_curves.py here)
    python -m benchmarks.completion       quality/completion.py  (completion.py here)
    python -m benchmarks.readme_figures   figures/readme_figures.py (readme_figures.py here)
    python -m benchmarks.readme_images    figures/readme_images.py (readme_images.py here)
    python -m benchmarks.speed.extract    speed/extract.py (also run by the speed benchmark)

A family's own benchmark runs as the package (its `__main__.py`). The other commands are
named in the docs, in the results' `command` fields and in the README, so their names
stay: each is a file of a few lines here that calls the real module's `main`, rather
than a family per command or renamed commands that would outdate every measured figure's
provenance. `python benchmarks/NAME.py` and `python benchmarks/FAMILY` (the folder) work
too: they restart themselves as the module (common/as_module.py).
"""
