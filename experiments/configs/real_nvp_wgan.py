"""Real NVP trained as a WGAN-GP generator (Danihelka et al. 2017; Gulrajani et
al. 2017: n_critic 5, lambda 10, Adam 1e-4 with betas 0.5 and 0.9).

Variants: ``ring`` (the default), ``grid`` and ``mnist``, as ``common.py``
describes them (``--config=experiments/configs/real_nvp_wgan.py:grid``, or
``gengan-train --config=real_nvp_wgan:grid``).

The flow is ``real_nvp_mle.py``'s, setting for setting; the critic is the
variant's discriminator without batch norm (an MLP of 3 x 128 on the toys;
the DCGAN-style critic of 32 base channels on MNIST).

* ``ring`` / ``grid``: batch 256, 20,000 steps (100,000 critic updates); the
  flow's learning rate is 1e-5 (the critic's 1e-4): at Gulrajani et al.'s
  1e-4 the flow does not settle on the ring.
* ``mnist``: batch 64, 2,000 steps (10,000 critic updates; ~0.5 s a step on
  2 cores).
"""

from gengan_jax.configs import common
from gengan_jax.configs import real_nvp_mle


@common.accepts_protocols
def get_config(arg=None):
  v = common.variant(arg)
  c = real_nvp_mle.flow(common.base("real_nvp_wgan"), v)
  if v == "mnist":
    c.train.steps = 2000
  c.model.n_critic = 5
  c.model.gradient_penalty_weight = 10.0
  # On the toys the flow swings round the ring at 1e-4 (and at 3e-5, or with
  # beta1 = 0) and collapses onto a curve; at 1e-5 it is stable (5,000-step
  # runs, see real_nvp_comparison.py).
  c.model.generator_optimizer = common.adam(1e-4 if v == "mnist" else 1e-5, 0.5, 0.9)
  c.model.critic_optimizer = common.adam(1e-4, 0.5, 0.9)
  return c
