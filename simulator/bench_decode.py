"""QR decoders side by side on degraded phone screens (simulator/degrade.py): the share of codes
each reads per degradation and severity, wrong reads, and the time a frame takes (p50/p95), on
frames with a code and on frames with nothing to read. Decoders are timed interleaved, frame by
frame, so a machine's load falls on all of them alike; the CPU time a frame takes is reported
beside the wall clock, which a busy machine inflates. Run it on the terminal's own hardware to
choose ``camera.decoder``:

    .venv/bin/python -m simulator.bench_decode --frames 960 --seed 101

The passes of the ``multipass`` decoder were chosen on development seeds (1 and 2); report on
other seeds.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from drivers.qr import DECODER_NAMES, QRDecoder, make_decoder
from simulator.degrade import KINDS, DegradedFrame, degraded_frame, degraded_frames

Reader = Callable[[np.ndarray], list[str]]


def _opencv_reader(aruco: bool) -> Reader:
    """OpenCV's own QR detector and decoder (the classic one, or the one that finds codes by
    their finder patterns as ArUco markers)."""
    import cv2

    detector = cv2.QRCodeDetectorAruco() if aruco else cv2.QRCodeDetector()

    def read(frame: np.ndarray) -> list[str]:
        try:
            ok, texts, _points, _straight = detector.detectAndDecodeMulti(frame)
        except cv2.error:
            return []
        return [text for text in texts if text] if ok else []

    return read


def _gate_reader(decoder: QRDecoder) -> Reader:
    def read(frame: np.ndarray) -> list[str]:
        return decoder.scan(frame).texts

    return read


def readers(names: tuple[str, ...]) -> dict[str, Reader]:
    made: dict[str, Reader] = {}
    for name in names:
        if name == "opencv":
            made[name] = _opencv_reader(aruco=False)
        elif name == "opencv_aruco":
            made[name] = _opencv_reader(aruco=True)
        else:
            made[name] = _gate_reader(make_decoder(name))  # type: ignore[arg-type]
    return made


@dataclass
class Tally:
    """One decoder's results: per (kind, severity), codes read of codes shown."""

    read: dict[tuple[str, int], list[bool]] = field(default_factory=lambda: defaultdict(list))
    wrong: int = 0  # a text that is not the code shown, or any text from an empty frame
    code_ms: list[float] = field(default_factory=list)  # wall clock
    empty_ms: list[float] = field(default_factory=list)
    code_cpu_ms: list[float] = field(default_factory=list)  # the process's CPU time
    empty_cpu_ms: list[float] = field(default_factory=list)

    def rate(self, kind: str, severity: int | None = None) -> float:
        rows = [
            ok
            for (k, s), oks in self.read.items()
            if k == kind and (severity is None or s == severity)
            for ok in oks
        ]
        return 100 * sum(rows) / max(len(rows), 1)


def run(sample: list[DegradedFrame], names: tuple[str, ...]) -> dict[str, Tally]:
    made = readers(names)
    tallies = {name: Tally() for name in names}
    for index, shown in enumerate(sample):
        # a different decoder goes first on each frame: caches and load fall on all alike
        order = names[index % len(names) :] + names[: index % len(names)]
        for name in order:
            started, started_cpu = time.perf_counter(), time.process_time()
            texts = made[name](shown.frame)
            cpu_ms = (time.process_time() - started_cpu) * 1000
            elapsed_ms = (time.perf_counter() - started) * 1000
            tally = tallies[name]
            if shown.payload is None:
                tally.empty_ms.append(elapsed_ms)
                tally.empty_cpu_ms.append(cpu_ms)
                tally.wrong += len(texts)
                continue
            tally.code_ms.append(elapsed_ms)
            tally.code_cpu_ms.append(cpu_ms)
            tally.read[(shown.kind, shown.severity)].append(shown.payload in texts)
            tally.wrong += sum(text != shown.payload for text in texts)
    return tallies


def _quantiles(times_ms: list[float]) -> str:
    if len(times_ms) < 2:
        return "-"
    p95 = statistics.quantiles(times_ms, n=20)[-1]
    return f"{statistics.median(times_ms):.2f} / {p95:.2f}"


def table(tallies: dict[str, Tally]) -> str:
    """A Markdown table: read rate per degradation (mild / moderate / severe), then times."""
    names = list(tallies)
    lines = [
        "| degradation | " + " | ".join(names) + " |",
        "|---|" + "---|" * len(names),
    ]
    for kind in KINDS:
        if kind == "empty":
            continue
        if kind == "clean":
            cells = [f"{tallies[n].rate(kind):.0f}" for n in names]
        else:
            cells = [
                " / ".join(f"{tallies[n].rate(kind, s):.0f}" for s in (1, 2, 3)) for n in names
            ]
        lines.append(f"| {kind} | " + " | ".join(cells) + " |")
    overall = [
        100 * sum(sum(v) for v in t.read.values()) / max(sum(len(v) for v in t.read.values()), 1)
        for t in tallies.values()
    ]
    lines.append("| all codes | " + " | ".join(f"**{r:.1f}**" for r in overall) + " |")
    lines.append("| wrong reads | " + " | ".join(str(t.wrong) for t in tallies.values()) + " |")
    timings: tuple[tuple[str, Callable[[Tally], list[float]]], ...] = (
        ("ms, code frame p50 / p95", lambda t: t.code_ms),
        ("ms, empty frame p50 / p95", lambda t: t.empty_ms),
        ("ms CPU, code frame p50 / p95", lambda t: t.code_cpu_ms),
        ("ms CPU, empty frame p50 / p95", lambda t: t.empty_cpu_ms),
    )
    for label, times in timings:
        cells = [_quantiles(times(t)) for t in tallies.values()]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0].replace("\n", " "))
    parser.add_argument("--frames", type=int, default=320)
    parser.add_argument("--seed", type=int, default=101)
    parser.add_argument(
        "--decoders",
        default=",".join((*DECODER_NAMES, "opencv", "opencv_aruco")),
        help="comma-separated: multipass, zxing, pyzbar, opencv, opencv_aruco",
    )
    parser.add_argument(
        "--empty",
        type=int,
        default=0,
        help="this many more frames with nothing to read (the gate's idle time), seed + 1",
    )
    parser.add_argument("--rounds", type=int, default=1, help="times over the same frames")
    args = parser.parse_args()
    sample = degraded_frames(args.frames, args.seed)
    sample += [degraded_frame("empty", 0, index, args.seed + 1) for index in range(args.empty)]
    print(
        f"{len(sample)} frames of 640x480 grey, seed {args.seed}, {args.rounds} round(s); "
        "read rate in % (mild / moderate / severe), times in ms"
    )
    print(table(run(sample * args.rounds, tuple(args.decoders.split(",")))))


if __name__ == "__main__":
    main()
