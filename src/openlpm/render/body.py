"""The upper body's own motion: it sways with the head, leans toward the camera and shrugs.

The head's rotation moves only the head and the top of the neck (the mesh's head weight); on
its own that leaves the shoulders and chest frozen under a turning head. Here the whole person
(the mesh's body weight, which falls to zero before the fixed image border, so nothing tears
there) also follows a small share of the head's turn and tilt, grows about the mouth when it
leans in, and lifts its shoulders when it shrugs (or breathes in).
"""

from __future__ import annotations

import copy

import numpy as np

from openlpm.character.mesh import smoothstep

FOLLOW_YAW = 0.002  # face heights of sideways sway per degree of head yaw
FOLLOW_PITCH = 0.0015  # face heights of rise per degree of head pitch (chin up: chest up)
FOLLOW_ROLL = 0.2  # the torso tilts this share of the head's roll
SHRUG_LIFT = 0.16  # face heights the shoulders rise at bodyShrug = 1


class UpperBody:
    def __init__(
        self,
        rest_xy: np.ndarray,
        body_weight: np.ndarray,
        neck: np.ndarray,
        mouth: np.ndarray,
        face_height: float,
        image_height: int,
    ) -> None:
        fh = face_height
        self.rest = rest_xy.astype(np.float32)
        self.weight = body_weight.reshape(-1, 1).astype(np.float32)
        self.mouth = mouth.astype(np.float32)
        self.face_height = np.float32(fh)
        # The torso tilts about a point low on the body's centre line (hips, off the picture).
        self.hips = np.float32([neck[0], max(float(neck[1]) + 3 * fh, image_height)])
        x, y = self.rest[:, 0], self.rest[:, 1]
        side = np.abs(x - neck[0])
        # Shoulders: beside the neck and below it; the lift fades toward the waist.
        below = smoothstep(neck[1] - 0.05 * fh, neck[1] + 0.35 * fh, y)
        low = 1 - smoothstep(neck[1] + 1.2 * fh, neck[1] + 2.4 * fh, y)
        beside = smoothstep(0.2 * fh, 0.55 * fh, side)
        self.shoulder = (body_weight * below * low * beside).astype(np.float32)

    def subset(self, vertices: list[int]) -> UpperBody:
        """The same motion for only these vertices (e.g. the mouth layer's teeth anchors)."""
        small = copy.copy(self)
        small.rest, small.weight = self.rest[vertices], self.weight[vertices]
        small.shoulder = self.shoulder[vertices]
        return small

    def joined(self, other: UpperBody) -> UpperBody:
        """This body's vertices followed by ``other``'s (the same body, other points)."""
        both = copy.copy(self)
        both.rest = np.concatenate([self.rest, other.rest])
        both.weight = np.concatenate([self.weight, other.weight])
        both.shoulder = np.concatenate([self.shoulder, other.shoulder])
        return both

    def displacement(
        self, posed: np.ndarray, yaw: float, pitch: float, roll: float, lean: float, shrug: float
    ) -> np.ndarray:
        """(V, 2) displacement added to vertices already at ``posed`` (V, 2)."""
        fh = self.face_height
        out = np.zeros_like(posed)
        out[:, 0] = FOLLOW_YAW * fh * yaw
        out[:, 1] = -FOLLOW_PITCH * fh * pitch
        if roll:
            r = np.radians(FOLLOW_ROLL * roll)
            rot = np.float32([[np.cos(r) - 1, -np.sin(r)], [np.sin(r), np.cos(r) - 1]])
            out += (posed - self.hips) @ rot.T
        if lean:
            out += np.float32(lean) * (posed - self.mouth)
        out *= self.weight
        if shrug:
            out[:, 1] -= np.float32(SHRUG_LIFT * shrug) * fh * self.shoulder
        return out
