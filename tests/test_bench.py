"""``make bench``: the QR bench on photos made here, the report's sections, the bus share."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from drivers.mlx90614 import MLX90614
from simulator.bench import qr
from simulator.bench.__main__ import attempt
from simulator.bench.i2c import bus_clock_hz, counting, transaction_bits
from simulator.bench.machine import describe
from simulator.bench.report import SECTION_KEYS, Report, Section
from simulator.clock import SimClock
from simulator.frames import qr_modules
from simulator.mlx90614 import FakeSMBus, MLX90614Twin, Scene
from terminal.common.errors import GateError

REPO = Path(__file__).resolve().parents[1]
PAYLOAD = "GATE-BENCH-W00042-green"


def phone_photo(payload: str | None, seed: int) -> np.ndarray:
    """A 640x480 photo of a phone's screen held at an angle, slightly out of focus; with no
    payload, the same scene without a code."""
    rng = np.random.default_rng(seed)
    photo = np.full((480, 640, 3), 150, np.uint8)
    if payload is not None:
        modules = qr_modules(payload)
        quiet = np.pad(1 - modules, 4, constant_values=1) * 255  # light modules, a quiet zone
        side = 260
        code = cv2.resize(quiet.astype(np.uint8), (side, side), interpolation=cv2.INTER_NEAREST)
        square = np.float32([[0, 0], [side, 0], [side, side], [0, side]])
        held = np.float32([[200, 110], [450, 135], [430, 390], [185, 365]])
        warp = cv2.getPerspectiveTransform(square, held)
        seen = cv2.warpPerspective(code, warp, (640, 480), borderValue=0)
        mask = cv2.warpPerspective(np.full_like(code, 255), warp, (640, 480))
        photo[mask > 0] = np.repeat(seen[mask > 0][:, None], 3, axis=1)
    photo = cv2.GaussianBlur(photo, (5, 5), 1.2)
    noise = rng.normal(0, 3, photo.shape)
    return np.clip(photo + noise, 0, 255).astype(np.uint8)


def photo_folder(folder: Path, payload: str | None, text: str) -> Path:
    folder.mkdir()
    cv2.imwrite(str(folder / "x.jpg"), phone_photo(payload, seed=7), [cv2.IMWRITE_JPEG_QUALITY, 85])
    (folder / "x.txt").write_text(text + "\n", encoding="utf-8")
    return folder


def rates(section: Section) -> dict[str, object]:
    return {str(row["decoder"]): row["read rate"] for row in section.rows}


def test_a_photo_of_a_code_is_read_and_an_empty_photo_is_not(tmp_path: Path) -> None:
    with_code = photo_folder(tmp_path / "code", PAYLOAD, PAYLOAD)
    # the same scene without the code, its text beside it: nothing reads what is not there
    empty = photo_folder(tmp_path / "empty", None, PAYLOAD)
    read = rates(qr.section("photos", qr.load_photos(with_code), "made by the test"))
    missed = rates(qr.section("photos", qr.load_photos(empty), "made by the test"))
    terminal = next(name for name in read if name.startswith("terminal"))
    assert read["zxing-cpp (plain)"] == read["pyzbar (plain)"] == read[terminal] == 1.0, read
    assert set(missed.values()) == {0.0}, missed


def test_every_decoder_reads_the_simulators_plain_screens() -> None:
    """The simulator's frames are grey, as the gate's camera gives them: a decoder the bench
    calls wrongly would read none of them and look merely poor."""
    light = [photo for photo in qr.simulated_frames(8, seed=3) if photo.name.startswith("light")]
    read = rates(qr.section("simulator", light, "light screens"))
    terminal = next(name for name in read if name.startswith("terminal"))
    assert read["pyzbar (plain)"] == read["zxing-cpp (plain)"] == read[terminal] == 1.0, read


def test_a_photo_folder_without_texts_is_one_clear_line(tmp_path: Path) -> None:
    cv2.imwrite(str(tmp_path / "a.jpg"), phone_photo(None, seed=1))
    with pytest.raises(GateError, match=r"--images .*no x\.jpg with an x\.txt beside it"):
        qr.load_photos(tmp_path)


def test_the_report_holds_every_section_and_says_why_one_was_not_measured(
    tmp_path: Path,
) -> None:
    def broken() -> Section:
        raise GateError("the private broker did not start")

    report = Report(describe(REPO))
    report.sections["durable"] = attempt("durable", broken)
    report.sections["i2c"] = Section("I2C", [{"device": "0x5a", "transactions": 3}])
    markdown, data = report.write(tmp_path / "bench")
    written = json.loads(data.read_text(encoding="utf-8"))
    assert list(written["sections"]) == list(SECTION_KEYS)
    assert written["sections"]["i2c"]["rows"] == [{"device": "0x5a", "transactions": 3}]
    assert written["sections"]["durable"]["skipped"] == "the private broker did not start"
    machine = written["machine"]
    assert machine["cores"] >= 1 and machine["python"].startswith("CPython")
    assert "numpy" in machine["libraries"]
    text = markdown.read_text(encoding="utf-8")
    assert f"- cpu: {machine['cpu']}" in text and f"- commit: {machine['commit']}" in text
    assert "Not measured: the private broker did not start" in text


def test_the_bus_share_of_a_thermometer_read() -> None:
    # SMBus read word: start, address+W, command, repeated start, address+R, LSB, MSB, PEC, stop
    # = 1 + 9 * 2 + 1 + 9 * 4 + 1 bit times
    assert transaction_bits(written=1, read=3) == 57
    clock = SimClock(0.0)
    twin = MLX90614Twin(clock.time, lambda _t: Scene(22.0, 34.0))
    clock.sleep(MLX90614Twin.POWER_UP_S)
    sensor = MLX90614(FakeSMBus(twin))
    with counting() as tally:
        _ = sensor.object_celsius
    assert {address: (t.transactions, t.bits) for address, t in tally.by_address.items()} == {
        0x5A: (1, 57)
    }
    assert bus_clock_hz(REPO / "firmware" / "config.txt") == 50_000


def test_the_bus_clock_without_a_setting_is_the_pis_own(tmp_path: Path) -> None:
    boot = tmp_path / "config.txt"
    boot.write_text("dtparam=i2c_arm=on\n# dtparam=i2c_arm_baudrate=10000\n", encoding="utf-8")
    assert bus_clock_hz(boot) == 100_000


@pytest.mark.soak  # the whole bench on small samples, about a minute and a half: make soak
def test_the_quick_bench_measures_every_section(tmp_path: Path) -> None:
    photos = photo_folder(tmp_path / "photos", PAYLOAD, PAYLOAD)
    subprocess.run(
        [sys.executable, "-m", "simulator.bench", "--quick", "--out", str(tmp_path / "out"),
         "--images", str(photos)],
        cwd=REPO, check=True, capture_output=True, timeout=600,
    )  # fmt: skip
    written = json.loads((tmp_path / "out" / "bench-report.json").read_text(encoding="utf-8"))
    skipped = {key: s["skipped"] for key, s in written["sections"].items() if s["skipped"]}
    assert skipped == {}
    assert all(written["sections"][key]["rows"] for key in SECTION_KEYS)
