"""WGAN: the Wasserstein GAN with a weight-clipped critic.

Arjovsky, Chintala & Bottou, "Wasserstein generative adversarial networks"
(ICML 2017), Algorithm 1 (defaults ``alpha = 5e-5``, ``c = 0.01``, ``m = 64``,
``n_critic = 5``; RMSProp, Sec. 3: "momentum based methods such as Adam ...
perform worse"). The critic ``f_w`` estimates the Kantorovich-Rubinstein dual
of the Earth-Mover distance (eq. 2-3) over the set of ``K``-Lipschitz
functions, which clipping every weight to ``[-c, c]`` keeps it inside.

One ``train_step`` is one pass of Algorithm 1's outer loop:

1. ``n_critic`` times, on its own data batch and fresh ``z`` (lines 2-7):
   ``w <- w + alpha RMSProp(grad_w [mean f_w(x) - mean f_w(g(z))])``, then
   ``w <- clip(w, -c, c)``;
2. with fresh ``z`` (lines 9-10):
   ``theta <- theta - alpha RMSProp(grad_theta [-mean f_w(g(z))])``.

With ``critic_bursts=True`` the step follows the authors' code
(``martinarjovsky/WassersteinGAN``, ``main.py``) instead: 100 critic updates
before each of the first 25 generator updates and before every 500th (see
:mod:`gengan_jax.algorithms.schedules`: a burst spans 20 steps of 5 critic
updates, and only the last updates the generator). The experiment configs
switch it on; the paper's Algorithm 1 does not have it, so the default is off.

The critic keeps the DCGAN batch norm of the authors' code (there is no
penalty whose per-example gradients it would mix). RMSProp as in PyTorch's
``RMSprop`` that the authors used: decay (``alpha``) 0.99, ``eps`` 1e-8
(optax adds ``eps`` inside the square root, PyTorch outside; at these
gradient sizes the two agree to float precision).

The metric ``wasserstein_estimate`` is ``mean f(x) - mean f(G(z))`` of the
last critic update, before it: proportional to ``W_1`` for the clipped
critic (Sec. 4.1: it correlates with sample quality).

A preset of the two-player family (:mod:`gengan_jax.algorithms.gan`): loss
pair ``'wasserstein'``, constraint ``'clip'``, no penalty,
``discriminator_updates = n_critic``.
"""

from __future__ import annotations

import dataclasses

from gengan_jax.algorithms import gan
from gengan_jax.algorithms.gan import State, init, num_batches, sample, train_step  # noqa: F401
from gengan_jax.core import OptimizerConfig, check

# RMSProp with PyTorch's defaults, at Algorithm 1's learning rate.
RMSPROP = OptimizerConfig(5e-5, name="rmsprop", decay=0.99, eps=1e-8)


@dataclasses.dataclass(frozen=True)
class Config(gan.Config):
  """WGAN hyper-parameters; defaults are Algorithm 1's.

  Attributes:
    n_critic: critic updates per generator update (5; the family's
      ``discriminator_updates``).
    clip: ``c``, the critic's weights stay in ``[-c, c]`` (0.01).
    critic_bursts: the authors' code's 100 critic updates before the first 25
      and every 500th generator update (off: Algorithm 1 as printed).
    generator_optimizer: RMSProp of G (alpha 5e-5).
    critic_optimizer: RMSProp of the critic (the same; the family's
      ``discriminator_optimizer``).

  (and every other setting of :class:`gengan_jax.algorithms.gan.Config`)
  """

  loss: str = "wasserstein"
  penalty: str = "none"
  constraint: str = "clip"
  clip: float = 0.01
  n_critic: int = 5
  generator_updates: int = 1
  generator_optimizer: OptimizerConfig = RMSPROP
  critic_optimizer: OptimizerConfig = RMSPROP
  # The family's names of the settings above, set from them.
  discriminator_updates: int = dataclasses.field(default=5, init=False)
  discriminator_optimizer: OptimizerConfig = dataclasses.field(default=RMSPROP, init=False)

  def __post_init__(self):
    check(self.n_critic >= 1, "n_critic", self.n_critic, "a positive integer")
    gan.derive(self, discriminator_updates=self.n_critic,
               discriminator_optimizer=self.critic_optimizer)
    super().__post_init__()
