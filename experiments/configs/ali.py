"""ALI (Dumoulin et al. 2017, Algorithm 1): a Gaussian encoder.

Variants: ``ring`` (the default), ``grid`` and ``mnist``, as ``common.py``
describes them (``--config=experiments/configs/ali.py:grid``, or
``gengan-train --config=ali:grid``).

The toys take the settings of the authors' Gaussian-mixture experiment
(``experiments/ali_mixture.py``, IshmaelBelghazi/ALI) where they fit: a 2-D
latent, Adam with learning rate 1e-3 and beta1 0.5, a discriminator of two
layers of 400 units (theirs maxout, here leaky ReLU) with 20% dropout on its
input and 50% on its hidden units; the batch is 128 (theirs 100) and the
generator and encoder are the library's toy MLPs (theirs two batch-normed
layers of 1,000 units). ``mnist`` takes the paper's image optimizer (Adam
1e-4, beta1 0.5) on the DCGAN-style networks, with the same dropout.
"""

from gengan_jax.configs import common


def model(c, v: str, *, encoder: str):
  """ALI's settings for variant ``v`` with ``encoder`` (BiGAN's config reuses them)."""
  if v == "mnist":
    c = common.mnist(c)
    lr = 1e-4
  else:
    c = common.toy(c, v)
    c.train.steps = 20000
    c.train.plot_every = 5000
    c.model.latent_dim = 2
    lr = 1e-3
  c.model.encoder = encoder
  c.model.discriminator_hidden = (400, 400)
  c.model.discriminator_input_dropout = 0.2
  c.model.discriminator_dropout = 0.5
  for net in ("generator", "encoder", "discriminator"):
    c.model[net + "_optimizer"] = common.adam(lr, 0.5, 0.999)
  return c


@common.accepts_protocols
def get_config(arg=None):
  return model(common.base("ali"), common.variant(arg), encoder="gaussian")
