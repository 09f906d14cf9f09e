"""InfoGAN (Chen et al. 2016): codes recoverable by a Q head on D's trunk.

MNIST as the authors' run (openai/InfoGAN ``launchers/run_mnist_exp.py``):
62 ``Uniform(-1, 1)`` noise dimensions, one 10-way categorical and two
continuous ``Uniform(-1, 1)`` codes, lambda 1 for both, Q's Gaussians with
unit standard deviation, Adam (beta1 0.5) with learning rates 2e-4 for D/Q
and 1e-3 for G; D/Q share conv 64 - conv 128 - FC 1024 and Q adds FC 128.
The toy variants have 2 noise dimensions and one 8-way categorical code
(one category per mode of the ring; the grid variant is the ring's settings
on the 25-mode grid, as for every config, so there the 8 categories share
25 modes), no continuous code.

Variants: ``ring`` (the default), ``grid`` and ``mnist``, as ``common.py``
describes them (``--config=experiments/configs/infogan.py:grid``, or
``gengan-train --config=infogan:grid``).
"""

from gengan_jax.configs import common


@common.accepts_protocols
def get_config(arg=None):
  v = common.variant(arg)
  if v == "mnist":
    c = common.mnist(common.base("infogan"))
    c.model.latent_dim = 62
    c.model.base_features = 64
    c.model.shared_dense = 1024
    c.model.q_hidden = (128,)
    c.model.categorical_codes = (10,)
    c.model.continuous_codes = 2
    c.model.lambda_categorical = 1.0
    c.model.lambda_continuous = 1.0
    c.model.generator_optimizer = common.adam(1e-3, 0.5, 0.999)
    c.model.discriminator_optimizer = common.adam(2e-4, 0.5, 0.999)
    # ~0.3-0.5 s a step on a shared 2-core CPU: 3,000 steps (38 passes over
    # the 5,000 digits; the authors ran 5,000 steps of 128 on 60,000).
    c.train.steps = 3000
    c.train.checkpoint_every = 500
    c.train.plot_every = 500
    return c
  c = common.toy(common.base("infogan"), v)
  c.data.batch_size = 256
  c.train.steps = 20000
  c.train.plot_every = 5000
  c.model.latent_dim = 2
  c.model.categorical_codes = (8,)
  c.model.continuous_codes = 0
  c.model.q_hidden = (128,)
  c.model.generator_optimizer = common.adam(1e-3, 0.5, 0.999)
  c.model.discriminator_optimizer = common.adam(2e-4, 0.5, 0.999)
  return c
