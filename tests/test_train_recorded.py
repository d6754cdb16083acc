"""Training speech from voices built on human recordings (train_online/recorded.py): the phone
labels, and the timing against the audio the synthesiser wrote."""

from __future__ import annotations

import itertools
import shutil

import numpy as np
import pytest

from openlpm.audio.phones import ARPABET
from openlpm.train_online import recorded

TEXT = "Bob bought a map. Take the good cake to Dad."


def test_radio_phones_map_to_arpabet() -> None:
    assert recorded.to_arpabet("ax") == "AH"
    assert recorded.to_arpabet("em") == "M"  # a syllabic m still shuts the lips
    assert recorded.to_arpabet("dx") == "D"
    assert recorded.to_arpabet("pau") == "SIL"
    assert recorded.to_arpabet("b") == "B"
    with pytest.raises(ValueError, match="unknown segment"):
        recorded.to_arpabet("xx")


@pytest.mark.parametrize(("program", "voice"), recorded.VOICES)
def test_timeline_matches_the_audio(program: str, voice: str) -> None:
    """Gap-free ARPAbet phones over the whole audio; the pauses are quiet and the speech loud
    (a timeline off by a phone would put speech in the pauses); the stops of the text are there."""
    if shutil.which(program) is None:
        pytest.skip(f"{program} is not installed (apt-get install {recorded.PACKAGES})")
    audio, timeline = recorded.synthesize(TEXT, program, voice, 1.0)
    phones = timeline.phones
    assert audio.sample_rate == 16000
    assert phones[0].start == 0.0 and phones[-1].end == pytest.approx(audio.duration)
    assert all(a.end == b.start for a, b in itertools.pairwise(phones))
    assert set(timeline.labels()) <= ARPABET
    assert {"B", "P", "M", "T", "K", "G", "D"} <= set(timeline.labels())

    def level(label_is_sil: bool) -> float:
        parts = [audio.samples[round(p.start * 16000) : round(p.end * 16000)] for p in phones
                 if (p.label == "SIL") == label_is_sil and p.duration > 0.03]  # fmt: skip
        return float(np.sqrt(np.mean(np.concatenate(parts) ** 2)))

    assert 20 * np.log10(level(True) / level(False)) < -20.0


def test_stretch_slows_the_speech() -> None:
    if shutil.which("flite") is None:
        pytest.skip("flite is not installed")
    fast = recorded.synthesize(TEXT, "flite", "awb", 0.8)[1].duration
    slow = recorded.synthesize(TEXT, "flite", "awb", 1.3)[1].duration
    assert slow > fast * 1.3
