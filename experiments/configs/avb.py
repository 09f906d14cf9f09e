"""AVB (Mescheder et al. 2017): an implicit encoder, its KL estimated by an adversary T(x, z).

Variants: ``ring`` (the default), ``grid`` and ``mnist``, as ``common.py``
describes them (``--config=experiments/configs/avb.py:grid``, or
``gengan-train --config=avb:grid``).

* ``ring`` / ``grid``: MLPs of 3 x 128, a 2-D latent fed 2 noise
  dimensions, a Gaussian decoder with a learned scale (as the VAE's),
  ``T`` 2 x 256, batch 256, 20,000 steps; Adam (beta1 0.5) 1e-3 for the
  encoder and decoder and 2e-3 for ``T`` (the authors keep the adversary's
  rate twice the others': 5e-5 / 1e-4 on MNIST). More noise starts the
  codes drowned in it: after 4,000 ring steps the ELBO estimate was 0.55
  nats with 2 noise dimensions, -1.3 with 4 and -1.9 with 8 (the VAE's ELBO
  0.46); with 16 at 5e-4 / 1e-3 the posterior had collapsed (KL estimate
  0.06).
* ``mnist``: the authors' ``avb_mnist_8`` settings where this library has
  them: 8 latents, 32 noise dimensions, a Bernoulli decoder on dynamically
  binarised digits, ``T`` 3 x 1024; DCGAN-style encoder trunk and decoder
  (every ``mnist`` variant's networks) with the noise entering after the
  trunk (2 x 300 units); Adam 2e-4 / 4e-4 (beta1 0.5) -- their 5e-5 / 1e-4
  are for 2.5 million steps, this run is 5,000.
"""

from gengan_jax.configs import common


@common.accepts_protocols
def get_config(arg=None):
  v = common.variant(arg)
  if v == "mnist":
    c = common.mnist(common.base("avb"))
    c.model.latent_dim = 8
    c.model.noise_dim = 32
    c.model.hidden = (300, 300)
    c.model.adversary_hidden = (1024, 1024, 1024)
    c.model.observation = "bernoulli"
    c.model.binarization = "dynamic"
    c.train.steps = 5000
    c.train.checkpoint_every = 1000
    c.train.plot_every = 1000
    rates = (2e-4, 4e-4)
  else:
    c = common.toy(common.base("avb"), v)
    c.data.batch_size = 256
    c.train.steps = 20000
    c.train.plot_every = 5000
    c.model.latent_dim = 2
    c.model.noise_dim = 2
    c.model.adversary_hidden = (256, 256)
    c.model.observation = "gaussian"
    c.model.binarization = "none"
    rates = (1e-3, 2e-3)
  c.model.encoder_optimizer = common.adam(rates[0], 0.5, 0.999)
  c.model.decoder_optimizer = common.adam(rates[0], 0.5, 0.999)
  c.model.adversary_optimizer = common.adam(rates[1], 0.5, 0.999)
  return c
