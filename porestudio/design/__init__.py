"""Latent-space design with a trained pVAE: maps, interpolation and inverse design.

The package sits above :mod:`porestudio.ml` (it works on a
:class:`porestudio.ml.model.LoadedModel` through its public methods only) and below the
studio; it never imports Qt. Every function returns arrays or small frozen dataclasses
that a GUI can show and runs off the GUI thread (long calls take ``progress`` and stop
when it raises :class:`porestudio.errors.Cancelled`).

Modules
-------
targets      design targets: validation, units (lu, m², mD), CSV batches
latent       encode a dataset, PCA, per-dimension KDE, PC–property correlations
plots        matplotlib PNGs of the paper's latent-space figures and the design error map
interpolate  slerp / lerp between latent codes, decoded paths saved as datasets
clean        printable structures: no floating solid, pore space spanning the flow axis
reference    the training data as design sees it: nearest samples, novelty, support
verify       properties of printed structures by the physics solvers
inverse      the inverse-design loop (paper section 3.3, Fig. 4), batched and cancellable

Torch and matplotlib are imported inside the functions that need them.
"""
