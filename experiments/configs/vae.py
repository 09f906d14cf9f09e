"""VAE (Kingma & Welling 2014): a Gaussian encoder and a likelihood decoder on the ELBO.

Variants: ``ring`` (the default), ``grid`` and ``mnist``, as ``common.py``
describes them (``--config=experiments/configs/vae.py:grid``, or
``gengan-train --config=vae:grid``).

* ``ring`` / ``grid``: MLPs of 3 x 128, a 2-D latent, a Gaussian decoder
  with a learned scale per coordinate (``sample`` draws from ``p(x | z)``),
  batch 256, Adam 1e-3, 20,000 steps.
* ``mnist``: Bernoulli decoder on dynamically binarised digits (a fresh
  draw each step, Burda et al. 2016, Sec. 5.1), 50 latents, batch 64, Adam
  1e-3, the evaluation's importance-weighted bound with ``k = 1000``.
  The networks are the library's DCGAN-style ones (every ``mnist`` variant
  uses them); ``--config.model.arch=mlp`` gives the MLP of Burda et al.
  (two hidden layers of 200 units, ReLU here where they use tanh), the
  CPU-sized run of ``experiments/vae_mnist.py``.
"""

from gengan_jax.configs import common


def model(c, v):
  """The settings the VAE, beta-VAE and IWAE configs share, for variant ``v``."""
  if v == "mnist":
    c = common.mnist(c)
    c.model.latent_dim = 50
    c.model.hidden = (200, 200)  # used with --config.model.arch=mlp
    c.model.observation = "bernoulli"
    c.model.binarization = "dynamic"
    c.train.steps = 5000
    c.train.checkpoint_every = 1000
    c.train.plot_every = 1000
  else:
    c = common.toy(c, v)
    c.data.batch_size = 256
    c.model.latent_dim = 2
    c.model.observation = "gaussian"
    c.model.binarization = "none"
    c.train.steps = 20000
    c.train.plot_every = 5000
  c.model.eval_importance_samples = 1000
  c.model.optimizer = common.adam(1e-3, 0.9, 0.999)
  return c


@common.accepts_protocols
def get_config(arg=None):
  c = model(common.base("vae"), common.variant(arg))
  c.model.beta = 1.0
  return c
