"""AGE (Ulyanov et al. 2018): codes on the sphere, L2 data / cosine code reconstruction.

Variants: ``ring`` (the default), ``grid`` and ``mnist``, as ``common.py``
describes them (``--config=experiments/configs/age.py:grid``, or
``gengan-train --config=age:grid``); the alpha-GAN paper's image experiments
``stacked_mnist``, ``cifar10`` and ``celeb_a``, as ``common_images.py`` describes
them (``gengan-train --config=age:celeb_a``).
"""

from gengan_jax.configs import common


def _adaptive_adversary_weight(c):
  """The reference code's ``--adaptive_advesary_weight`` controller, off (the
  paper's objective): ``--config.model.adaptive_adversary_weight=True``."""
  c.model.adaptive_adversary_weight = False
  c.model.adversary_threshold = 1.05
  c.model.adversary_increase = 1e-3
  c.model.adversary_decrease = 2e-2
  return c


@common.accepts_images
@common.accepts_protocols
def get_config(arg=None):
  v = common.variant(arg)
  if v == "mnist":
    c = _adaptive_adversary_weight(common.mnist(common.base("age")))
    # lambda_x multiplies the per-image squared L2 norm (784 pixels). At 0.01
    # the encoder sends every digit to nearly one code (0 of 32 active units,
    # every reconstruction the same blob); 0.1 reconstructs the digits with the
    # same FID (docs/results.md, "AGE on MNIST: the reconstruction weight").
    c.model.lambda_x = 0.1
    c.model.lambda_z = 10.0
    c.model.generator_updates = 2
    c.model.generator_optimizer = common.adam(2e-4, 0.5, 0.999)
    c.model.encoder_optimizer = common.adam(2e-4, 0.5, 0.999)
    return c
  c = _adaptive_adversary_weight(common.toy(common.base("age"), v))
  c.data.batch_size = 256
  c.train.steps = 20000
  c.train.plot_every = 5000
  c.model.latent_dim = 3
  # The data reconstruction is what keeps the encoder from collapsing the
  # generated codes (its -KL term is unbounded): its weight must grow as the
  # data's squared scale shrinks. E||x||^2 is 1 on the ring, 16 on the grid;
  # the best of lambda_x in {1, 3, 10, 30, 100} over 3 seeds (docs/results.md, "AGE on
  # the ring") is 30 on the ring (1 there: 1.3 of 8 modes) and 1 on the grid.
  c.model.lambda_x = 30.0 if v == "ring" else 1.0
  c.model.lambda_z = 10.0
  c.model.generator_updates = 2
  c.model.generator_optimizer = common.adam(2e-4, 0.5, 0.999)
  c.model.encoder_optimizer = common.adam(2e-4, 0.5, 0.999)
  return c
