"""gengan_jax: deep generative models learned by comparison, in JAX.

Sub-packages:

* :mod:`gengan_jax.core` -- the ground floor: the contract of an algorithm,
  typed configs and ``ConfigError``, one network's train state and the one
  update helper, priors and keys.
* :mod:`gengan_jax.losses` -- pure loss functions (adversarial, reconstruction,
  KL, penalties), per-example outputs.
* :mod:`gengan_jax.nets` -- Flax Linen networks (MLPs, DCGAN-style nets, code
  discriminator).
* :mod:`gengan_jax.algorithms` -- one module per algorithm: config, state,
  ``init``, ``train_step``, ``sample`` (and ``encode``/``reconstruct``);
  ``REGISTRY`` of :class:`gengan_jax.core.Algorithm` records.
* :mod:`gengan_jax.data` -- toy mixtures, TFDS sources, local files, batching.
* :mod:`gengan_jax.metrics` -- evaluation.
* :mod:`gengan_jax.train` -- mesh, sharded step, checkpoints, logging, loop,
  populations.
* :mod:`gengan_jax.use` -- a trained run in one line (:func:`gengan_jax.use.load`),
  its samples, codes and reconstructions to files, one network exported.
* :mod:`gengan_jax.evaluate` -- every metric that applies to a run.
"""

__version__ = "0.1.0"
