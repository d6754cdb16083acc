"""The words, when known: any word aligns, and the live lips follow them (re-detected)."""

from __future__ import annotations

import numpy as np
import pytest

from openlpm.audio.align import align_piece, phones_for, pronounced
from openlpm.audio.phones import PhoneTimeline
from openlpm.audio.pronounce import timed_phones, tokens
from openlpm.audio.tts import synthesize
from openlpm.bench.analyze import analyze_frames
from openlpm.bench.metrics.lips import closure
from openlpm.cli import main
from openlpm.errors import StreamInputError
from openlpm.io.audio import Audio
from openlpm.render.renderer import Renderer
from openlpm.stream.options import SessionOptions
from openlpm.stream.pipeline import MotionPipeline
from openlpm.stream.session import Session

RARE = "In 42 days Gregson paid $5 to Dr. Smith, thereunder, for sun-dried FBI maps. Don't stop!"
LINE = "Maybe Bob bought a map, and my mom made pumpkin pie by the pool."
BILABIALS = ("P", "B", "M")
VOWELS = ("AA", "AE", "AH", "AO", "AW", "AY", "EH", "EY", "IH", "IY", "OW", "UW")


def _bilabial_starts(timeline: PhoneTimeline) -> list[float]:
    return [p.start for p in timeline.phones if p.label in BILABIALS]


# --- any word aligns -------------------------------------------------------------------------
def test_tokens_keep_numbers_prices_and_abbreviations() -> None:
    assert tokens("Dr. Smith paid $5.50, (3.5%) 'fine'!") == ["Dr.", "Smith", "paid", "$5.50",
                                                            "3.5%", "fine"]  # fmt: skip


def test_words_missing_from_the_dictionary_get_espeak_pronunciations() -> None:
    words = {w.name: w for w in pronounced(RARE).words}
    assert not pronounced(RARE).failed
    assert words["don't"].source == "dictionary" and words["smith"].source == "dictionary"
    assert words["sun"].source == words["dried"].source == "dictionary"  # hyphen: its parts
    assert words["x_dr_"].phones == "D AA K T ER"  # doctor, not CMUdict's "dr" (drive)
    assert words["x_thereunder"].phones.split()[:2] == ["DH", "EH"]
    assert words["x_42"].phones.startswith("F AO") and words["x_42"].phones.endswith("T UW")
    year = pronounced("1963").words[0].phones  # a year, as people say it: nineteen sixty-three
    assert year.startswith("N AY N T IY N S IH K S")
    assert "D AA L ER Z" in words["x__5"].phones  # five dollars
    assert all(p.rstrip("012").isalpha() for w in words.values() for p in w.phones.split())


def test_transcript_with_unknown_words_numbers_and_names_aligns() -> None:
    speech = synthesize(RARE)
    timeline = phones_for(speech.audio, RARE)
    assert timeline.source == "forced-alignment", timeline.note
    tts, aligned = _bilabial_starts(speech.phones), _bilabial_starts(timeline)
    assert len(tts) >= 6
    hits = [any(abs(a - t) <= 0.04 for a in aligned) for t in tts]
    assert np.mean(hits) >= 0.9


def test_wrong_words_say_why_they_failed() -> None:
    speech = synthesize("The cat sat on the mat.")
    timeline = phones_for(speech.audio, "The cat sat on the mat, Zbigniewski said.")
    assert timeline.source == "phone-recognition"
    assert "zbigniewski" in timeline.note  # a guessed pronunciation is the first suspect


def test_pieces_align_incrementally_and_cover_the_line() -> None:
    speech = synthesize(LINE)
    audio = speech.audio.resampled(16000)
    words = pronounced(LINE).words
    first = align_piece(Audio(audio.samples[: int(2.0 * 16000)], 16000), words, final=False)
    assert first.phones is not None and 1 <= first.words < len(words)
    rest = Audio(audio.samples[round(first.end_s * 16000) :], 16000)
    second = align_piece(rest, words[first.words :], final=True)
    assert second.phones is not None and second.words == len(words) - first.words
    starts = _bilabial_starts(first.phones) + [first.end_s + t for t in
                                               _bilabial_starts(second.phones)]  # fmt: skip
    tts = _bilabial_starts(speech.phones)
    assert np.mean([any(abs(a - t) <= 0.04 for a in starts) for t in tts]) >= 0.9


def test_word_timestamps_place_the_phones() -> None:
    timeline = timed_phones([("Bob", 0.1, 0.4), ("ate", 0.5, 0.7)], 1.0)
    assert timeline.labels() == ["SIL", "B", "AA", "B", "SIL", "EY", "T", "SIL"]
    assert timeline.phones[1].start == pytest.approx(0.1) and timeline.duration == 1.0


# --- streaming with text ---------------------------------------------------------------------
def test_streaming_with_text_closes_the_lips_on_every_p_b_m(astronaut_rig) -> None:
    """Speech slowed to 0.8 (a lower, slower voice than the Online model learnt from): with
    its words the live motion closes the lips on every p/b/m, re-detected from the frames."""
    speech = synthesize(LINE)
    rate = int(speech.audio.sample_rate * 0.8)
    fps = 25.0
    reference = PhoneTimeline(
        tuple(type(p)(p.label, p.start / 0.8, p.end / 0.8) for p in speech.phones.phones), "tts"
    )
    n = int(np.ceil(reference.duration * fps))
    # the session's motion half, stepped here so frame i is exactly i / fps into the speech
    pipeline = MotionPipeline(SessionOptions(fps=fps, realtime=False))
    pipeline.push_agent(speech.audio.samples, rate, text=LINE)
    pipeline.end_agent_text()
    ticks = [pipeline.step(0.0) for _ in range(n + pipeline.delay_frames)]
    pipeline.close()
    assert pipeline.voice.text.notes == []
    pieces = pipeline.voice.text._segments[0].pieces
    assert pieces[0].start == 0 and pieces[-1].end >= 0.95 * len(speech.audio.samples) / rate
    poses = [t.pose for t in ticks[pipeline.delay_frames :]]
    renderer = Renderer(astronaut_rig, 256)
    frames = [renderer.render(pose) for pose in poses]
    apart = np.array([p["jawOpen"] - p["mouthClose"] for p in poses])  # 0: lips together
    # pocketsphinx places 16 or 17 of the 17 (eSpeak's drift from call to call decides)
    assert (closure(reference, apart, fps).rate or 0) >= 0.94
    gap = analyze_frames(frames, fps).series.gap
    seen = closure(reference, gap, fps)
    assert seen.bilabials >= 15
    # from the pixels (the renderer's shut lips measure 0.00-0.025 face heights): 17 of 17
    # here; without the words, the Online model shuts 16 of 17 at 256 px, 13 of 17 at 384
    assert seen.rate is not None and seen.rate >= 0.9
    vowels = [p for p in reference.phones if p.label in VOWELS]
    opened = [np.nanmax(gap[int(p.start * fps) : int(p.end * fps) + 2]) > 0.03 for p in vowels]
    assert len(vowels) >= 10 and np.mean(opened) >= 0.8  # and it opens between: not just shut


def test_say_uses_its_own_phones() -> None:
    with Session(render=False, realtime=False) as session:
        session.say(LINE)
        frames = [f for _, f in zip(range(60), session.iter_frames(), strict=False)]
        segment = session._pipeline.voice.text._segments[0]
    assert segment.phones is not None and segment.pieces  # the TTS's phones, not aligned
    assert max(f.pose["jawOpen"] for f in frames) > 0.2


@pytest.mark.parametrize("text", ["", "   \n"])
def test_empty_text_is_refused(text: str) -> None:
    with Session(render=False) as session, pytest.raises(StreamInputError, match="text"):
        session.push_agent_audio(b"\x00\x00" * 100, 16000, text=text)


@pytest.mark.parametrize("command", ["render", "export"])
def test_empty_transcript_is_a_clear_error(command: str, tmp_path, capsys) -> None:
    out = tmp_path / ("x.mp4" if command == "render" else "x.jsonl")
    extra = ["--format", "json"] if command == "export" else []
    assert main([command, "--audio", "a.wav", "--transcript", "  ", *extra, "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("openlpm: error: --transcript is empty: give the words spoken")
    assert "\n" not in err
    assert not out.exists()


# --- no transcript -----------------------------------------------------------------------
def test_english_without_transcript_recognises_words_then_aligns() -> None:
    """The mechanism (real English figures: benchmarks/bench_no_transcript.py; pocketsphinx
    hears eSpeak's voice poorly as words, so closure is not asserted on TTS speech here)."""
    speech = synthesize(LINE)
    words = phones_for(speech.audio, None, "en")
    assert words.source == "word-recognition" and words.note == ""
    assert words.phones[0].start == 0 and words.duration == pytest.approx(speech.audio.duration)
    assert {"M", "AY", "AA"} <= set(words.labels())  # "my mom" is heard and aligned
    assert phones_for(speech.audio, None, "fr").source == "phone-recognition"
    assert phones_for(speech.audio, None, None).source == "phone-recognition"
