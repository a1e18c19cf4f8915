"""What a check costs the gate: which camera frames are decoded, how often the distance sensor
and the thermometer are read, and how much of the I2C bus they take. On the real drivers over
the twins, a real SQLite record, and the real QR decoder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from drivers.qr import QRDecoder, Scan, ZxingDecoder
from simulator.frames import FrameRenderer, Pose, qr_modules
from simulator.rig import Rig, build_rig
from terminal.config import Config
from terminal.gate.frames import RECHECK_S, FrameTriage
from terminal.gate.lane import Gate
from terminal.record.store import Record
from tests.conftest import make_config
from tests.support.gates import run_until_done
from tests.support.people import person

PAYLOAD = "HC1|P0001|green|held-still"
I2C_CLOCK_HZ = 50_000  # the bus run slow, for long wires to the sensor head


class CountingDecoder:
    """The gate's decoder, counting the frames it is given."""

    def __init__(self, decoder: QRDecoder) -> None:
        self.decoder = decoder
        self.name = decoder.name
        self.frames = 0

    def scan(self, frame: np.ndarray) -> Scan:
        self.frames += 1
        return self.decoder.scan(frame)


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return make_config(tmp_path)


def gate_on(rig: Rig, tmp_path: Path) -> tuple[Gate, CountingDecoder, Record]:
    devices = rig.devices()
    decoder = CountingDecoder(devices.decoder)
    devices.decoder = decoder
    record = Record(tmp_path / "r.sqlite")
    gate = Gate(config=rig.config, devices=devices, record=record, roster=rig.roster)
    return gate, decoder, record


class Frames:
    """A phone held up to a fixed camera, and someone walking past behind."""

    def __init__(self) -> None:
        self.renderer = FrameRenderer(np.random.default_rng(3))
        pose = Pose(module_px=6.0, angle_deg=4.0, centre_x=320.0, centre_y=240.0, inverted=False)
        self.phone = self.renderer.place(qr_modules(PAYLOAD), pose)
        self.passer_by = self.renderer.background.copy()
        self.passer_by[100:400, 500:600] = 30  # a dark coat, far behind

    def empty(self) -> np.ndarray:
        return self.renderer.noisy(self.renderer.background)

    def walking_past(self) -> np.ndarray:
        return self.renderer.noisy(self.passer_by)

    def still(self) -> np.ndarray:
        return self.renderer.noisy(self.phone)


class BlurredOnArrival(CountingDecoder):
    """The frame a phone arrives in is a blur of its movement: its code is not read there."""

    def __init__(self, decoder: QRDecoder) -> None:
        super().__init__(decoder)
        self.arrived = False

    def scan(self, frame: np.ndarray) -> Scan:
        scan = super().scan(frame)
        if scan.texts and not self.arrived:
            self.arrived = True
            return Scan()
        return scan


def test_a_code_held_still_is_read_on_the_first_still_frame() -> None:
    frames, clock = Frames(), [0.0]
    decoder = BlurredOnArrival(ZxingDecoder())
    triage = FrameTriage(decoder, lambda: clock[0], within_reach=lambda: True)
    seen = []
    for frame in [frames.empty(), frames.empty(), frames.still(), frames.still()]:
        clock[0] += 1 / 15
        seen.append(triage.scan(frame).texts)
    # the phone arrived as a blur; the frame after, the same scene held still, was read
    assert seen == [[], [], [], [PAYLOAD]]
    decoded = decoder.frames
    for _ in range(5):  # held still a while: the same code, without decoding it again
        clock[0] += 1 / 15
        assert triage.scan(frames.still()).texts == [PAYLOAD]
    assert decoder.frames <= decoded + 1  # at most the low rate's look meanwhile


def test_with_nobody_within_reach_frames_are_looked_at_only_now_and_then() -> None:
    frames, clock = Frames(), [0.0]
    decoder = CountingDecoder(ZxingDecoder())
    triage = FrameTriage(decoder, lambda: clock[0], within_reach=lambda: False)
    shown = 45  # three seconds of a lane where someone walks past behind, then a phone lies
    for index in range(shown):
        clock[0] += 1 / 15
        triage.scan(frames.walking_past() if index % 2 else frames.empty())
    assert decoder.frames <= 1 + 3.0 / RECHECK_S
    # a code lying in view is still read, at the low rate: a phone left behind stays known
    texts = []
    for _ in range(15):
        clock[0] += 1 / 15
        texts = triage.scan(frames.still()).texts
    assert texts == [PAYLOAD]


def test_an_empty_lane_is_not_decoded_frame_by_frame(config: Config, tmp_path: Path) -> None:
    rig = build_rig(config, [])  # nobody comes
    gate, decoder, record = gate_on(rig, tmp_path)
    started = rig.clock.time()
    polls = 150
    for _ in range(polls):  # ten seconds of frames with nobody there
        gate.poll()
    elapsed_s = rig.clock.time() - started
    assert record.checks() == []
    assert decoder.frames <= 1 + elapsed_s / RECHECK_S < polls / 5


def test_the_crowd_gets_its_answers_on_a_fraction_of_the_frames(
    config: Config, tmp_path: Path
) -> None:
    crowd = [
        person("A", 0, code_after_s=0.0, distance_cm=15.0),  # code up, close, as they step in
        person("B", 2, code_after_s=1.5),  # finds it on the phone first
        person("C", 4, "yellow"),
        person("D", 6, distance_cm=150.0),  # stands back, out of the distance sensor's range
        person("E", 8, dark_mode=True),
    ]
    rig = build_rig(config, crowd)
    frames = [0]
    read = rig.capture.read

    def counted() -> tuple[bool, np.ndarray | None]:
        frames[0] += 1
        return read()

    rig.capture.read = counted  # type: ignore[method-assign]
    gate, decoder, record = gate_on(rig, tmp_path)
    run_until_done(gate, rig)
    checks = {c["person_id"]: c["reason"] for c in record.checks()}
    assert checks == {"A": "admitted", "B": "admitted", "C": "code_yellow", "D": "admitted",
                      "E": "admitted"}  # fmt: skip
    assert decoder.frames < frames[0] / 3
    # the distance sensor: ranging back to back since the start, one sample a frame at most
    assert rig.ranger.ranges_started == 1
    assert rig.ranger.ranges_read <= frames[0]
    # the thermometers read only once their output had settled on the forehead in front
    assert all(twin.unsettled_reads == 0 for twin in [rig.twin, *rig.more_twins])
    assert rig.twin.reads  # and they were read
    # the whole bus, at its busiest second, takes a small share of a 50 kHz clock
    assert 0 < rig.bus.busiest_share(I2C_CLOCK_HZ) <= 0.2


def test_a_failing_distance_sensor_leaves_codes_read(config: Config, tmp_path: Path) -> None:
    rig = build_rig(config, [person("A", 0), person("B", 3, "red")])
    rig.ranger._failing = lambda: True  # it stops answering on the bus
    gate, _, record = gate_on(rig, tmp_path)
    run_until_done(gate, rig)
    checks = [(c["person_id"], c["reason"]) for c in record.checks()]
    # their codes were read (whose they were is known); the screening cannot measure without
    # the distance, so nobody is let in on it
    assert [person_id for person_id, _ in checks] == ["A", "B"]
    assert dict(checks)["A"] == "sensor_fault"
    assert rig.gpio.pulses(config.outputs.relay_pin) == []


def test_a_still_frame_answered_with_the_last_scan_is_not_a_new_sighting() -> None:
    """One unreadable glimpse is forgiven (AMBIGUOUS_FRAMES): a still scene answered again from
    the last decoded frame must not count as that glimpse seen again on every frame."""
    frames, clock = Frames(), [0.0]
    decoder = CountingDecoder(ZxingDecoder())
    triage = FrameTriage(decoder, lambda: clock[0], within_reach=lambda: True)
    fresh = []
    for _ in range(6):
        clock[0] += 1 / 15
        triage.scan(frames.still())
        fresh.append(triage.fresh)
    assert fresh.count(True) == decoder.frames < len(fresh)
