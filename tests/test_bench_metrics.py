"""Open LPM-Bench: the metrics on synthetic signals, options, data discovery, systems, report."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from openlpm.audio.phones import Phone, PhoneTimeline
from openlpm.bench.metrics.eyes import blinks
from openlpm.bench.metrics.head import head_stats, nod_timing, nods, switch_jumps
from openlpm.bench.metrics.lips import CLOSED, aperture_stats, closure, false_motion, pause_mask
from openlpm.bench.metrics.signals import envelope, filled, runs
from openlpm.bench.metrics.sync import acceptable, av_sync
from openlpm.bench.options import BenchOptions, parse_list
from openlpm.cli import main
from openlpm.errors import InputError
from openlpm.io.audio import Audio

FPS = 25.0


def smooth_signal(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = np.convolve(rng.standard_normal(n + 10), np.ones(5) / 5, mode="same")[5 : n + 5]
    return (x - x.min()) / np.ptp(x)


@pytest.mark.parametrize("shift", [-4, 0, 3])
def test_av_offset_recovers_a_known_shift(shift):
    env = smooth_signal(250)
    aperture = 0.1 * np.roll(env, shift)  # + shift: the mouth moves after the sound
    sync = av_sync(aperture, env, FPS)
    assert sync.offset_frames == shift
    assert sync.offset_ms == pytest.approx(1000 * shift / FPS)
    assert sync.confidence > 0.3
    assert (sync.correlation > 0.95) == (shift == 0)


def test_a_still_mouth_has_no_sync_and_itu_window_signs():
    env = smooth_signal(200)
    still = np.full(200, 0.01) + 1e-4 * smooth_signal(200, 1)  # landmark jitter only
    sync = av_sync(still, env, FPS)
    assert sync.correlation is None and sync.offset_ms is None
    assert acceptable(80.0) and not acceptable(120.0)  # audio may lead by up to 90 ms
    assert acceptable(-160.0) and not acceptable(-200.0)


def test_lost_frames_are_interpolated_over():
    env = smooth_signal(200)
    aperture = 0.1 * env
    aperture[50:55] = np.nan
    assert av_sync(aperture, env, FPS).offset_frames == 0
    assert np.isfinite(filled(aperture)).all()


def _timeline() -> PhoneTimeline:
    labels = ["SIL", "AH", "B", "AA", "T", "IY", "M", "AH", "S", "EH", "K", "SIL"]
    phones = [Phone(lab, 0.1 * i, 0.1 * (i + 1)) for i, lab in enumerate(labels)]
    return PhoneTimeline(tuple(phones), "tts")


def test_closure_counts_bilabials_and_the_chance_rate():
    tl = _timeline()
    n = round(tl.duration * FPS)
    open_mouth = np.full(n, 0.06)
    closing = open_mouth.copy()
    for p in tl.phones:
        if p.label in ("B", "M"):
            closing[round(p.start * FPS) + 1] = 0.0
    good = closure(tl, closing, FPS)
    assert (good.bilabials, good.hits, good.rate) == (2, 2, 1.0)
    assert good.chance == 0.0 and good.beyond_chance == 1.0
    shut = closure(tl, np.zeros(n), FPS)  # always closed: closes everywhere, so no skill
    assert shut.rate == 1.0 and shut.chance == 1.0 and shut.beyond_chance == 0.0
    never = closure(tl, open_mouth, FPS)
    assert never.rate == 0.0 and CLOSED < 0.06


def test_false_lip_motion_in_pauses():
    rate = 16000
    t = np.arange(3 * rate) / rate
    speech = (0.3 * np.sin(2 * np.pi * 180 * t) * ((t < 1) | (t > 2))).astype(np.float32)
    n = 75
    mask = pause_mask(Audio(speech, rate), FPS, n)
    assert mask[35:45].all() and not mask[:20].any() and not mask[60:].any()
    gap = np.full(n, 0.08)
    assert false_motion(gap, mask) == 1.0
    gap[mask] = 0.0
    assert false_motion(gap, mask) == 0.0
    assert false_motion(gap, np.zeros(n, bool)) is None


def test_aperture_stats_over_the_frames_with_a_face():
    gap = np.array([0.0] * 50 + [0.1] * 50 + [np.nan] * 20)
    stats = aperture_stats(gap)
    assert stats.mean == pytest.approx(0.05)
    assert stats.p95 == pytest.approx(0.1)
    assert aperture_stats(np.full(5, np.nan)).mean is None


def test_blinks_need_two_closed_frames():
    ear = np.full(250, 0.3)
    for start in (20, 100, 180):
        ear[start : start + 3] = 0.08
    ear[60] = 0.05  # one frame: landmark noise, not a blink
    result = blinks(ear, ear, FPS)
    assert result.onsets == (20 / FPS, 100 / FPS, 180 / FPS)
    assert result.per_minute == pytest.approx(3 / (10 / 60))


def test_nods_and_their_timing_and_mouth_leakage():
    pitch = np.zeros(250)
    for centre in (75, 150):
        pitch[centre - 6 : centre + 7] -= 5 * np.hanning(13)
    found = nods(pitch, FPS)
    assert [round(t * FPS) for t in found] == [75, 150]
    timing = nod_timing(found, [2.5, 5.5])  # pauses began 0.5 s before each
    assert timing.after_pause == 1.0 and timing.delay_s == pytest.approx(0.5)
    # Pitch that only follows the mouth (mediapipe's mesh tilts as the jaw opens) is no nod.
    gap = 0.1 * smooth_signal(250, 3)
    assert nods(pitch + 40 * gap, FPS, gap) == found
    assert len(nods(40 * gap, FPS)) > 0 and nods(40 * gap, FPS, gap) == []


def test_head_stats_and_switch_jumps():
    still = head_stats(np.zeros(100), np.zeros(100), np.zeros(100), FPS)
    assert still.velocity == 0.0 and still.yaw_std == 0.0
    t = np.arange(100) / FPS
    turning = head_stats(10 * np.sin(2 * np.pi * 0.5 * t), np.zeros(100), np.zeros(100), FPS)
    assert turning.yaw_std == pytest.approx(10 / np.sqrt(2), rel=0.05)
    assert 15 < turning.velocity < 22  # mean |d/dt| of 10 sin(pi t) is 20 deg/s
    jumps = np.full(100, 0.002)
    jumps[50] = 0.02
    popped = switch_jumps(jumps, [50])
    assert popped.peak == 0.02 and popped.ratio == pytest.approx(10)
    assert switch_jumps(jumps, [20]).ratio == pytest.approx(1.0)


def test_envelope_and_runs():
    rate = 16000
    loud = np.concatenate([np.zeros(rate), 0.5 * np.ones(rate)]).astype(np.float32)
    env = envelope(Audio(loud, rate), FPS, 50)
    assert env[:20].max() == 0.0 and env[30:].min() == 1.0
    assert runs(np.array([0, 1, 1, 0, 1], bool)) == [(1, 3), (4, 5)]


def test_options_are_checked_in_one_place(tmp_path):
    with pytest.raises(InputError, match="--data DIR"):
        BenchOptions(out=tmp_path)
    with pytest.raises(InputError, match="choose from"):
        BenchOptions(out=tmp_path, quick=True, systems=("flap", "sadtalker"))
    with pytest.raises(InputError, match="--long"):
        BenchOptions(out=tmp_path, quick=True, long_minutes=0)
    with pytest.raises(InputError, match="does not exist"):
        BenchOptions(out=tmp_path, data=tmp_path / "nope")
    quick = BenchOptions(out=tmp_path, quick=True)
    assert quick.long_s == 15 and quick.render_size == 384 and quick.rendered[-1] == "online"
    assert BenchOptions(out=tmp_path, data=tmp_path, long_minutes=60).long_s == 3600
    assert parse_list("base, flap,,base") == ("base", "flap")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["bench", "--data", "/no/such/folder", "-o", "r"], "does not exist"),
        (["bench", "--quick", "--systems", "flap,nope", "-o", "r"], "unknown system(s) nope"),
        (["bench", "--quick", "--long", "-1", "-o", "r"], "--long must be"),
    ],
)
def test_cli_errors_are_one_line_with_exit_2(argv, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]


def test_data_folder_discovery_with_missing_parts(tmp_path):
    from openlpm.audio.tts import synthesize
    from openlpm.bench.data import discover
    from openlpm.cli import bundled
    from openlpm.io.audio import write_wav

    (tmp_path / "portraits").mkdir()
    (tmp_path / "portraits" / "painting_mona.jpg").write_bytes(bundled("monalisa.jpg").read_bytes())
    (tmp_path / "speech").mkdir()
    line = "Bob bought a map for his mother."
    write_wav(tmp_path / "speech" / "en_bob.wav", synthesize(line, voice="en-us").audio)
    write_wav(tmp_path / "speech" / "xx_other.wav", synthesize("hello there").audio)
    (tmp_path / "speech" / "TRANSCRIPTS.tsv").write_text(
        f"file\tlanguage\ttranscript\nen_bob.wav\ten\t{line}\n"
    )
    data = discover(tmp_path)
    assert [(p.name, p.style) for p in data.portraits] == [("painting_mona", "painting")]
    bob, other = data.clips
    assert bob.transcript == line and bob.phone_source == "forced-alignment"
    assert {"B", "M"} <= set(bob.phones.labels())
    assert other.transcript is None and other.phones is None and other.language == "xx"
    assert data.videos == () and any("video/" in n for n in data.notes)
    with pytest.raises(InputError, match="portraits/, speech/, video/"):
        discover(tmp_path / "portraits")


def test_baselines_from_their_definition():
    from openlpm.audio.tts import synthesize
    from openlpm.bench.systems import BLINK_PERIOD_S, Flap, PyLipSync, System, Utterance

    speech = synthesize("Hello there. We are walking home along the river, talking.")
    silence = np.zeros(speech.audio.sample_rate, np.float32)
    audio = Audio(np.concatenate([speech.audio.samples, silence]), speech.audio.sample_rate)
    utt = Utterance(audio)
    n = int(np.ceil(audio.duration * FPS))
    static = System().speak(utt, FPS, 0)
    assert len(static) == n and not static.values.any()
    flap = Flap().speak(utt, FPS, 0)
    env = envelope(audio, FPS, n)
    assert np.corrcoef(flap.curve("jawOpen"), env)[0, 1] > 0.8
    onsets = np.flatnonzero(np.diff((flap.curve("eyeBlinkLeft") > 0.5).astype(int)) == 1)
    assert np.allclose(np.diff(onsets) / FPS, BLINK_PERIOD_S, atol=0.05)
    lips = PyLipSync().speak(utt, FPS, 0)
    jaw = lips.curve("jawOpen")
    assert jaw[-15:].max() < 0.02 < jaw[: n - 25].max()  # closes in the trailing silence


def test_report_writers_give_strict_json_markdown_and_html(tmp_path):
    from openlpm.bench.report import write_report
    from openlpm.bench.results import BenchResult, GroupResult, Metric, Row, Table

    table = Table("t", (Metric("r", "corr", "", "higher", 2),), (
        Row("base", {"r": 0.5}, 3), Row("static", {"r": None}), Row("human", {"r": float("nan")}),
    ))  # fmt: skip
    group = GroupResult("speaking", "Speaking", "d", (table,), notes=("a note",))
    result = BenchResult((group,), {"systems": ["base"], "seed": 0, "fps": 25.0, "size": 512},
                         {"numpy": "1"}, {"source": "x"})  # fmt: skip
    paths = write_report(result, tmp_path)
    doc = json.loads(paths[0].read_text())
    rows = doc["groups"][0]["tables"][0]["rows"]
    assert rows[0]["values"]["r"] == 0.5 and rows[2]["values"]["r"] is None  # NaN -> null
    md = paths[1].read_text()
    assert "| base | 0.50 |" in md and "| *human* | — |" in md
    parser = HTMLParser()
    parser.feed(paths[2].read_text())
    assert "<tr class='human'>" in Path(paths[2]).read_text()
