"""GMMN (Li, Swersky & Zemel 2015): a generator trained on MMD^2, a sum of Gaussian kernels.

Variants: ``ring`` (the default), ``grid`` and ``mnist``, as ``common.py``
describes them (``--config=experiments/configs/gmmn.py:grid``, or
``gengan-train --config=gmmn:grid``); ``mnist`` has a DCGAN-style generator
and the paper's bandwidths {2, 5, 10, 20, 40, 80} on pixels.
"""

from gengan_jax.configs import common


@common.accepts_protocols
def get_config(arg=None):
  v = common.variant(arg)
  if v == "mnist":
    c = common.mnist(common.base("gmmn"))
    # GMMN needs large batches to estimate MMD well (the paper uses 1000).
    c.data.batch_size = 256
    c.model.kernel = "gaussian"
    c.model.kernel_scales = (2.0, 5.0, 10.0, 20.0, 40.0, 80.0)
    c.model.estimator = "unbiased"
    c.model.generator_optimizer = common.adam(2e-4, 0.5, 0.999)
    return c
  c = common.toy(common.base("gmmn"), v)
  c.data.batch_size = 256
  c.train.steps = 20000
  c.train.plot_every = 5000
  c.model.latent_dim = 2
  c.model.kernel = "gaussian"
  # From below the mode width to the size of the whole mixture.
  c.model.kernel_scales = (0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 4.0)
  c.model.estimator = "unbiased"
  c.model.generator_optimizer = common.adam(2e-4, 0.5, 0.9)
  return c
