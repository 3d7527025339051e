"""Benchmark of the image pipeline (materials/pipeline.py) against bare Pillow.

Run from the project folder:  .venv/bin/python bench/pipeline.py [--rounds 5]

For two kinds of photo — 200 KB 1600×1200 JPEGs (what the page sends after shrinking) and a
12-megapixel phone photo (4000×3000, about 3 MB, stored sideways with EXIF orientation 6) —
it times, in the same run and on the same bytes:

- pipeline: materials.pipeline.process (upright, RGB, metadata dropped, tiled watermark with
  a per-candidate text, display JPEG ≤1600 px, thumbnail ≤320 px);
- bare: Image.open + load, ImageOps.exif_transpose, save as JPEG at the same quality.

Each measurement runs in a fresh child process (one core, like one Celery worker process), so
that the peak resident memory (ru_maxrss) belongs to that measurement alone; the figure next
to it is the growth over the child's resident memory after imports. Targets (issue 3): ≥30
photos/s per core on the 200 KB photos, ≤1.5× the bare time, ≤55 MB peak per worker, a 12-MP
photo in ≤250 ms.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PHOTOS_PER_CANDIDATE = 4  # the watermark text carries the reg_no: one tile per candidate
TEMPLATE = "仅供2026年医师资格考试审核使用 {reg_no}"


def _rss_mb() -> float:
    """Peak resident memory of this process. VmHWM, not ru_maxrss: Linux carries
    ru_maxrss over exec from the forking parent, VmHWM starts afresh with the new program."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _current_rss_mb() -> float:
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1024 / 1024
    except OSError:
        return _rss_mb()


def _make_photos(kind: str, count: int) -> list[bytes]:
    from tests import photos

    if kind == "small":
        return [photos.make_bench_jpeg(seed=i) for i in range(count)]
    return [photos.make_phone_jpeg(seed=i) for i in range(count)]


def _bare(data: bytes) -> bytes:
    import io

    from PIL import Image, ImageOps

    from materials.pipeline import DISPLAY_QUALITY

    im = Image.open(io.BytesIO(data))
    im.load()
    im = ImageOps.exif_transpose(im)
    out = io.BytesIO()
    im.convert("RGB").save(out, "JPEG", quality=DISPLAY_QUALITY)
    return out.getvalue()


def _pipeline_runner():
    from materials.pipeline import BIG_SOURCE_PIXELS, process, release_memory
    from materials.watermark import _line, tile, watermark_text

    def run(data: bytes, index: int):
        reg_no = f"2026{index // PHOTOS_PER_CANDIDATE:08d}"
        result = process(data, watermark=watermark_text(TEMPLATE, year=2026, reg_no=reg_no))
        if result.source_pixels > BIG_SOURCE_PIXELS:
            release_memory()  # as the task does (materials.processing.image_process)
        return result

    def forget() -> None:
        # Every round pays for its watermark tiles again, as a fresh worker would.
        tile.cache_clear()
        _line.cache_clear()

    return run, forget


def _child(paths: list[str], modes: list[str], rounds: int, queue) -> None:
    """Times the given modes over the photos, interleaved round by round (so that both see
    the same machine load), and reports the process's peak memory."""
    from PIL import Image  # noqa: F401  (imports counted in the baseline)

    import materials.pipeline  # noqa: F401

    run_pipeline, forget = _pipeline_runner()
    baseline = _current_rss_mb()
    times: dict[str, list[float]] = {mode: [] for mode in modes}
    sizes = []
    stored = {"display": [], "thumbnail": []}  # what the pipeline stores beside the original
    for _ in range(rounds):
        for mode in modes:
            forget()
            elapsed = 0.0
            for i, path in enumerate(paths):
                # One photo in memory at a time, read outside the timed part.
                photo = Path(path).read_bytes()
                sizes.append(len(photo))
                start = time.perf_counter()
                if mode == "pipeline":
                    output = run_pipeline(photo, i)
                    stored["display"].append(len(output.display))
                    stored["thumbnail"].append(len(output.thumbnail))
                else:
                    _bare(photo)
                elapsed += time.perf_counter() - start
                del photo
            times[mode].append(elapsed / len(paths))
    result = {
        "peak_mb": _rss_mb(),
        "baseline_mb": baseline,
        "bytes": statistics.mean(sizes),
    }
    if stored["display"]:
        result["display_bytes"] = statistics.mean(stored["display"])
        result["thumbnail_bytes"] = statistics.mean(stored["thumbnail"])
    for mode, values in times.items():
        result[f"{mode}_ms"] = statistics.median(values) * 1000
    if len(modes) == 2:
        ratios = [p / b for p, b in zip(times["pipeline"], times["bare"], strict=True)]
        result["ratio"] = statistics.median(ratios)
    queue.put(result)


def _run_child(paths: list[str], modes: list[str], rounds: int) -> dict:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(paths, modes, rounds, queue))
    proc.start()
    result = queue.get()
    proc.join()
    return result


def measure(paths: list[str], rounds: int) -> dict:
    """Times from one child (interleaved); peak memory from one child per mode."""
    timing = _run_child(paths, ["bare", "pipeline"], rounds)
    memory = {mode: _run_child(paths, [mode], 1) for mode in ("bare", "pipeline")}
    return {"timing": timing, "memory": memory}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--small", type=int, default=40, help="number of 200 KB photos")
    parser.add_argument("--large", type=int, default=4, help="number of 12-MP photos")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    import tempfile

    import PIL
    from PIL import features

    rows = []
    with tempfile.TemporaryDirectory(prefix="yishen-bench-") as folder:
        for kind, count, label in (
            ("small", args.small, "200 KB 1600×1200 JPEG"),
            ("large", args.large, "12 MP 4000×3000 JPEG, EXIF 6"),
        ):
            # Made here, read by the children: the photo makers' caches stay out of the
            # measured processes.
            paths = []
            for i, data in enumerate(_make_photos(kind, count)):
                path = Path(folder, f"{kind}-{i}.jpg")
                path.write_bytes(data)
                paths.append(str(path))
            rows.append((label, count, measure(paths, args.rounds)))

    if args.json:
        print(json.dumps([{"photo": r[0], **r[2]} for r in rows], indent=2))
        return
    print(
        f"Pillow {PIL.__version__} (libjpeg-turbo {features.version('libjpeg_turbo') or '-'}), "
        f"Python {sys.version.split()[0]}; bare and pipeline timed in one process, interleaved "
        f"round by round, median of {args.rounds} rounds; memory from one process per line"
    )
    print(f"watermark: one text per candidate, {PHOTOS_PER_CANDIDATE} photos per candidate")
    print()
    header = (
        f"{'photo':31} {'what':9} {'ms/photo':>9} {'photos/s':>9} {'peak RSS':>9} {'growth':>8}"
    )
    print(header)
    print("-" * len(header))
    for label, count, result in rows:
        timing = result["timing"]
        for name in ("bare", "pipeline"):
            ms = timing[f"{name}_ms"]
            mem = result["memory"][name]
            print(
                f"{label:31} {name:9} {ms:9.1f} {1000 / ms:9.1f} "
                f"{mem['peak_mb']:7.1f}MB {mem['peak_mb'] - mem['baseline_mb']:6.1f}MB"
            )
        print(
            f"{'':31} {'ratio':9} {timing['ratio']:9.2f}×  (pipeline / bare, median of the "
            f"rounds' ratios; {count} photos, mean {timing['bytes'] / 1024:.0f} KB)"
        )
        print(
            f"{'':31} {'stored':9} original {timing['bytes'] / 1024:.0f} KB + display "
            f"{timing['display_bytes'] / 1024:.0f} KB + thumbnail "
            f"{timing['thumbnail_bytes'] / 1024:.0f} KB a photo (means)"
        )
        print()
    small, large = rows[0][2], rows[1][2]
    peak = max(small["memory"]["pipeline"]["peak_mb"], large["memory"]["pipeline"]["peak_mb"])
    print("targets:")
    print(
        f"  ≥30 photos/s per core on 200 KB photos:  "
        f"{1000 / small['timing']['pipeline_ms']:.1f} photos/s"
    )
    print(f"  ≤1.5× bare on 200 KB photos:            {small['timing']['ratio']:.2f}×")
    print(
        f"  ≤55 MB peak per worker:                 {small['memory']['pipeline']['peak_mb']:.1f} MB "
        f"(200 KB photos), {large['memory']['pipeline']['peak_mb']:.1f} MB (12 MP) peak RSS of the "
        f"whole process, Python included"
    )
    print(f"  12-MP photo ≤250 ms:                    {large['timing']['pipeline_ms']:.1f} ms")
    assert peak > 0


if __name__ == "__main__":
    main()
