"""Use a trained run: load it in Python, sample, encode, export.

* :mod:`~gengan_jax.use.loading` -- :func:`load` (a run directory -> a
  :class:`TrainedModel` on the caller's devices) and the model's batched
  ``sample``, ``encode``, ``reconstruct`` and ``log_likelihood``.
* :mod:`~gengan_jax.use.files` -- results written batch by batch to ``.npz``
  (host memory holds one batch) and the picture of a sample.
* :mod:`~gengan_jax.use.export` -- the generator's (or decoder's) parameters
  alone, to a Flax msgpack file, and back.
* :mod:`~gengan_jax.use.cli` -- the ``gengan-use`` command (``sample``,
  ``encode``, ``reconstruct``, ``export``).

A floor above :mod:`gengan_jax.train`, beside :mod:`gengan_jax.evaluate`.
"""

from gengan_jax.use.loading import BATCH_SIZE, RunNotFoundError, TrainedModel, load

__all__ = ["BATCH_SIZE", "RunNotFoundError", "TrainedModel", "load"]
