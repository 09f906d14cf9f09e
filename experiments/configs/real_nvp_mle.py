"""Real NVP trained by maximum likelihood (Dinh et al. 2017; the likelihood half
of Danihelka et al. 2017's comparison, with ``real_nvp_wgan``).

Variants: ``ring`` (the default), ``grid`` and ``mnist``, as ``common.py``
describes them (``--config=experiments/configs/real_nvp_mle.py:grid``, or
``gengan-train --config=real_nvp_mle:grid``).

* ``ring`` / ``grid``: 8 affine couplings with alternating masks, each an MLP
  of 3 x 128, batch 256, Adam 1e-3, 20,000 steps.
* ``mnist``: the multi-scale Real NVP (two scales: couplings on 28x28x1,
  14x14x4, 14x14x2, 7x7x8, 7x7x4), conv coupling networks of 32 channels
  without residual blocks (CPU-sized; ~0.25 s a step on 2 cores), uniform
  dequantisation and the logit transform with ``alpha = 0.05``, batch 64,
  Adam 1e-3, 3,000 steps.

The same network settings as ``real_nvp_wgan.py``: only the training
principle differs.
"""

from gengan_jax.configs import common


def flow(c, v):
  """The flow's settings shared with ``real_nvp_wgan.py``, for variant ``v``."""
  if v == "mnist":
    c = common.mnist(c)
    c.model.base_features = 32
    c.model.num_scales = 2
    c.model.num_blocks = 0
    c.model.logit_alpha = 0.05
    c.train.steps = 3000
    c.train.checkpoint_every = 500
    c.train.plot_every = 1000
  else:
    c = common.toy(c, v)
    c.data.batch_size = 256
    c.model.latent_dim = 2  # unused: the flow's z has the data's shape
    c.model.hidden = (128, 128, 128)
    c.model.num_couplings = 8
    c.train.steps = 20000
    c.train.plot_every = 5000
  return c


@common.accepts_protocols
def get_config(arg=None):
  v = common.variant(arg)
  c = flow(common.base("real_nvp_mle"), v)
  c.model.optimizer = common.adam(1e-3, 0.9, 0.999)
  return c
