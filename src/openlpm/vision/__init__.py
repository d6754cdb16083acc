"""mediapipe's face detector, face mesh (with attention: refined lips, eyes and irises) and selfie
segmentation, run with onnxruntime from the ONNX files in ``openlpm/assets/models`` (converted
by ``tools/convert_face_models.py``), with the pre- and post-processing mediapipe's graphs did.
"""
