"""Decoders side by side on the simulator's phone-screen frames: how many codes each reads and
how long a frame takes. Run it on the terminal's own hardware to choose ``camera.decoder``:

    .venv/bin/python -m simulator.benchmark --frames 300
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from drivers.qr import DECODER_NAMES, DecoderName, make_decoder
from simulator.frames import FrameRenderer, damage, qr_modules
from terminal.codes.healthcode import issue, simulator_issuer_key

KINDS = ("light", "dark_mode", "empty", "damaged")


Sample = list[tuple[str, str | None, np.ndarray]]  # (kind, payload expected, frame)


KEY = simulator_issuer_key()


def frames(count: int, seed: int) -> Sample:
    rng = np.random.default_rng(seed)
    renderer = FrameRenderer(rng)
    made: Sample = []
    for index in range(count):
        kind = KINDS[index % len(KINDS)]
        issued_s = 1_763_856_000
        payload = issue(KEY, "bench", f"W{index:05d}", "green", issued_s, issued_s + 86400)
        if kind == "empty":
            made.append((kind, None, renderer.noisy(renderer.background)))
            continue
        modules = qr_modules(payload)
        if kind == "damaged":
            modules = damage(modules, rng)
        frame = renderer.place(
            modules, renderer.random_pose(modules.shape[0], inverted=kind == "dark_mode")
        )
        made.append((kind, payload if kind != "damaged" else None, renderer.noisy(frame)))
    return made


def measure(name: DecoderName, sample: Sample) -> str:
    decoder = make_decoder(name)
    per_kind: dict[str, list[bool]] = {kind: [] for kind in KINDS}
    times_ms = []
    for kind, payload, frame in sample:
        started = time.perf_counter()
        scan = decoder.scan(frame)
        times_ms.append((time.perf_counter() - started) * 1000)
        if payload is not None:
            per_kind[kind].append(scan.texts == [payload])
        else:  # empty and damaged frames: right when nothing is (wrongly) read
            per_kind[kind].append(scan.texts == [])
    rates = ", ".join(
        f"{kind} {100 * sum(ok) / max(len(ok), 1):.0f} %" for kind, ok in per_kind.items()
    )
    p95 = statistics.quantiles(times_ms, n=20)[-1]
    return (
        f"{name:7} correct: {rates}; ms/frame mean {statistics.fmean(times_ms):.2f}, p95 {p95:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0].replace("\n", " "))
    parser.add_argument("--frames", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    sample = frames(args.frames, args.seed)
    print(f"{len(sample)} frames of 640x480 grey (as the camera gives), {', '.join(KINDS)} in turn")
    for name in DECODER_NAMES:
        print(measure(name, sample))


if __name__ == "__main__":
    main()
