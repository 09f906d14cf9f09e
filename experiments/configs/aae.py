"""AAE (Makhzani et al. 2016): an auto-encoder whose codes are matched to N(0, I) by a GAN.

Variants: ``ring`` (the default), ``grid`` and ``mnist``, as ``common.py``
describes them (``--config=experiments/configs/aae.py:grid``, or
``gengan-train --config=aae:grid``).

* ``ring`` / ``grid``: MLPs of 3 x 128, 2-D codes (a deterministic encoder's
  codes fill only the data's manifold, so their dimension is the data's:
  Makhzani et al., Appendix A), a code discriminator of 2 x 128, batch 256,
  Adam 1e-3 (beta1 0.5, beta2 0.9; at 2e-4 the decoded prior still spreads
  between the modes after 5,000 steps: 7 modes, 0.6% high-quality samples,
  against 8 and 5.8% at 1e-3), 20,000 steps.
* ``mnist``: DCGAN-style encoder and decoder, 8-D codes and a code
  discriminator of 2 x 1000 ReLU units (the paper's MNIST settings), batch
  64, Adam 2e-4 (beta1 0.5; the paper used SGD with momentum).

``--config.model.encoder=gaussian`` or ``universal`` picks the paper's other
posteriors (the universal one's noise: ``--config.model.noise_dim``).
"""

from gengan_jax.configs import common


@common.accepts_protocols
def get_config(arg=None):
  v = common.variant(arg)
  if v == "mnist":
    c = common.mnist(common.base("aae"))
    c.model.latent_dim = 8
    c.model.code_discriminator_hidden = (1000, 1000)
    lr, b2 = 2e-4, 0.999
  else:
    c = common.toy(common.base("aae"), v)
    c.data.batch_size = 256
    c.train.steps = 20000
    c.train.plot_every = 5000
    c.model.latent_dim = 2
    # The paper's 2 x 1000 is sized for MNIST codes; 2-D codes need far less.
    c.model.code_discriminator_hidden = (128, 128)
    lr, b2 = 1e-3, 0.9
  c.model.encoder = "deterministic"
  c.model.noise_dim = 8
  for net in ("encoder", "decoder", "code_discriminator"):
    c.model[net + "_optimizer"] = common.adam(lr, 0.5, b2)
  return c
