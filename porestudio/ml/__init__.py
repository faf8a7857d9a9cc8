"""Learned models: the CNN permeability surrogate and the property-VAE (pVAE); docs/ml.md.

Modules (torch is imported only by the modules that need it):

* :mod:`~porestudio.ml.properties` — property names, units, where they live in a dataset
* :mod:`~porestudio.ml.data` — :class:`DataSpec`, loading samples and labels, the split
* :mod:`~porestudio.ml.scaling` — :class:`TargetScaler` (log / min-max target scaling)
* :mod:`~porestudio.ml.config` — default training configurations (all numbers live here)
* :mod:`~porestudio.ml.cnn`, :mod:`~porestudio.ml.pvae` — the networks (2D and 3D)
* :mod:`~porestudio.ml.modelfile` — safetensors + JSON model files (never pickle)
* :mod:`~porestudio.ml.model` — :class:`LoadedModel`, what callers hold
* :mod:`~porestudio.ml.engine` — the training loop (stages, checkpoints, resume, DDP)
* :mod:`~porestudio.ml.training` — data, split and scaling around the loop; the model file
* :mod:`~porestudio.ml.evaluation`, :mod:`~porestudio.ml.metrics` — held-out metrics
* :mod:`~porestudio.ml.api` — train / evaluate / predict / encode (CLI and studio)
"""
