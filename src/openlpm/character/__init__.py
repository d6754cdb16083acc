"""Character analysis: face, person mask, clean plate and deformable mesh, built once per image."""

from openlpm.character.detect import DetectedFace, detect_faces
from openlpm.character.mesh import Mesh
from openlpm.character.rig import Rig, build_rig

__all__ = ["DetectedFace", "Mesh", "Rig", "build_rig", "detect_faces"]
