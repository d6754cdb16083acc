"""Training the Online model: ``python -m openlpm.train_online --out PATH`` (needs the ``train``
extra, PyTorch on CPU). Nothing here is imported at run time; the product reads only the .npz.

- sentences.py: random phonetically rich sentences in English and five other languages;
- augment.py: noise, reverb, gain and filters;
- data.py: TTS sessions with Base's targets (and optional real speech);
- fit.py: the torch student, training and export;
- evaluate.py: student vs teacher on real speech;
- __main__.py: the command line and the training record.
"""
