"""WAE-GAN (Tolstikhin et al. 2018, Algorithm 1): an auto-encoder with a latent GAN penalty.

Variants: ``ring`` (the default), ``grid`` and ``mnist``, as ``common.py``
describes them (``--config=experiments/configs/wae_gan.py:grid``, or
``gengan-train --config=wae_gan:grid``).

* ``ring`` / ``grid``: MLPs of 3 x 128, 2-D codes (a deterministic encoder's
  codes fill only the data's manifold), a latent discriminator of 3 x 128,
  ``lambda = 1``, the paper's learning rates (beta2 0.9), batch 256, 20,000
  steps.
* ``mnist``: DCGAN-style encoder and decoder and the paper's MNIST settings
  (Sec. 4, the authors' ``config_mnist``): 8-D codes, ``lambda = 1``, the
  cost ``0.05 ||x - y||^2``, a latent discriminator of 4 x 512, Adam
  ``1e-3`` (auto-encoder) and ``5e-4`` (adversary) with beta1 0.5; batch 64.
"""

from gengan_jax.configs import common


@common.accepts_protocols
def get_config(arg=None):
  v = common.variant(arg)
  if v == "mnist":
    c = common.mnist(common.base("wae_gan"))
    c.model.latent_dim = 8
    c.model.latent_discriminator_hidden = (512, 512, 512, 512)
    c.model.optimizer = common.adam(1e-3, 0.5, 0.999)
    c.model.latent_discriminator_optimizer = common.adam(5e-4, 0.5, 0.999)
  else:
    c = common.toy(common.base("wae_gan"), v)
    c.data.batch_size = 256
    c.train.steps = 20000
    c.train.plot_every = 5000
    c.model.latent_dim = 2
    c.model.latent_discriminator_hidden = (128, 128, 128)
    c.model.optimizer = common.adam(1e-3, 0.5, 0.9)
    c.model.latent_discriminator_optimizer = common.adam(5e-4, 0.5, 0.9)
  c.model.encoder = "deterministic"
  c.model.lambda_penalty = 1.0
  c.model.cost_scale = 0.05
  return c
