"""Audio analysis: speech synthesis with phoneme timing, phone alignment, prosody features."""
