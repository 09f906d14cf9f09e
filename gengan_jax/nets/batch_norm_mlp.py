r"""Batch-normalised ReLU MLPs: the generator and encoder of the ALI and PacGAN 2-D experiments.

Each hidden layer is a dense map without bias, batch normalisation (whose
shift replaces the bias) and a ReLU; the output layer is dense with a bias
and no activation:

.. math::

   h_{l} = \mathrm{ReLU}\!\left(\gamma_l \odot
     \frac{h_{l-1} W_l - \mu_l}{\sqrt{\sigma_l^2 + \epsilon}} + \beta_l\right),
   \qquad y = h_L W_{\mathrm{out}} + b_{\mathrm{out}},

with ``mu_l, sigma_l^2`` the batch's mean and variance in training and their
running averages (momentum 0.95) in inference. This is Blocks' MLP of the
authors' code (``use_bias=False`` except the last layer, a
``BatchNormalization`` brick before every ReLU, ``epsilon = 1e-4``,
population statistics updated as ``0.95 p + 0.05 m``), with every weight
drawn from N(0, 0.02^2): PacGAN's 2-D generator is four layers of 400
(Lin et al. 2018, Table 1; ``fjxmlzn/PacGAN``,
``synthetic_data_experiments/2D{Ring,Grid}_GAN&PacGAN/pacgan_task.py``),
ALI's 2-D encoder two (Dumoulin et al. 2017, the 2-D mixture experiment).

Because of the batch normalisation, in training mode the output does not
change when a hidden layer's kernel is multiplied by a positive constant
(up to ``epsilon``): the statistic the tests check.

References:
  Ioffe & Szegedy, "Batch normalization", ICML 2015, Algorithm 1.
  Dumoulin et al., "Adversarially learned inference", ICLR 2017, the 2-D
  mixture-of-Gaussians experiment.
  Lin, Khetan, Fanti & Oh, "PacGAN", NeurIPS 2018, the 2-D experiments (Table 1).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import flax.linen as nn
import jax

Initializer = Callable[..., Any]

# N(0, 0.02^2): the ALI/PacGAN toy networks' ``IsotropicGaussian(0.02)``.
PACGAN_INIT: Initializer = nn.initializers.normal(stddev=0.02)
# Blocks' BatchNormalization epsilon and the authors' population update 0.95 p + 0.05 m.
EPSILON = 1e-4
MOMENTUM = 0.95


class BatchNormMLP(nn.Module):
  """``x [B, D] -> [B, out_dim]``: (Dense without bias, batch norm, ReLU) per hidden layer.

  Attributes:
    hidden: widths of the hidden layers (may be empty: a linear map).
    out_dim: width of the linear output.
    kernel_init: initialiser of every kernel (biases start at 0, the batch
      norm's scale at 1 and shift at 0).
  """

  hidden: Sequence[int]
  out_dim: int
  kernel_init: Initializer = PACGAN_INIT

  def __post_init__(self):
    if not isinstance(self.hidden, tuple):
      object.__setattr__(self, "hidden", tuple(self.hidden))
    super().__post_init__()

  @nn.compact
  def __call__(self, x: jax.Array, *, train: bool) -> jax.Array:
    """Applies the network; ``train``: batch statistics (pass
    ``mutable=['batch_stats']`` to update the running ones), else the running ones."""
    if x.ndim != 2:
      raise ValueError(f"{type(self).__name__} expects an input of shape [B, D] (rank 2); "
                       f"got shape {tuple(x.shape)}.")
    for i, width in enumerate(self.hidden):
      x = nn.Dense(width, use_bias=False, kernel_init=self.kernel_init, name=f"hidden_{i}")(x)
      x = nn.BatchNorm(use_running_average=not train, momentum=MOMENTUM, epsilon=EPSILON,
                       name=f"batch_norm_{i}")(x)
      x = nn.relu(x)
    return nn.Dense(self.out_dim, kernel_init=self.kernel_init, name="out")(x)


class BatchNormMLPGenerator(nn.Module):
  """Generator ``z [B, K] -> x [B, data_dim]`` (PacGAN's 2-D one by default: 4 x 400).

  Attributes:
    data_dim: dimension of the generated data.
    hidden: widths of the hidden layers.
    kernel_init: initialiser of every kernel.
  """

  data_dim: int = 2
  hidden: Sequence[int] = (400, 400, 400, 400)
  kernel_init: Initializer = PACGAN_INIT

  @nn.compact
  def __call__(self, z: jax.Array, *, train: bool) -> jax.Array:
    return BatchNormMLP(tuple(self.hidden), self.data_dim, self.kernel_init, name="mlp")(
        z, train=train)


class BatchNormMLPEncoder(nn.Module):
  """Encoder ``x [B, D] -> codes [B, latent_dim]``, linear output (ALI's 2-D one: 2 x 400).

  Attributes:
    latent_dim: width of the output.
    hidden: widths of the hidden layers.
    kernel_init: initialiser of every kernel.
  """

  latent_dim: int
  hidden: Sequence[int] = (400, 400)
  kernel_init: Initializer = PACGAN_INIT

  @nn.compact
  def __call__(self, x: jax.Array, *, train: bool) -> jax.Array:
    return BatchNormMLP(tuple(self.hidden), self.latent_dim, self.kernel_init, name="mlp")(
        x, train=train)
