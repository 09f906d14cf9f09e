"""A small convolutional MNIST classifier, for evaluating generative models.

Rosca et al. (2017, "Variational approaches for auto-encoding generative
adversarial networks", Sec. 6 and Appendix) stress that the Inception score
and Frechet distance depend on the classifier that computes them, and that a
classifier trained on the *same* dataset is the meaningful one: on MNIST an
ImageNet network is not. This network gives both the logits (for the
Inception score and the Stacked MNIST mode counter of Metz et al. 2017) and
a feature vector (the penultimate layer, for an "MNIST FID/KID" and
precision/recall), in the spirit of the LeNet features used for MNIST by
e.g. Binkowski et al. (2018, "Demystifying MMD GANs").

Architecture (inputs ``[B, 28, 28, C]`` in ``[-1, 1]``; any ``H, W`` divisible
by 4 works)::

  conv 3x3x32 - ReLU - conv 3x3x32 - ReLU - max-pool 2x2      -> 14x14x32
  conv 3x3x64 - ReLU - conv 3x3x64 - ReLU - max-pool 2x2      -> 7x7x64
  conv 3x3x64 stride 2 - ReLU                                  -> 4x4x64
  flatten - dense 128 - ReLU            (the features, [B, 128])
  dropout - dense 10                    (the logits,   [B, 10])

No batch norm, so the features of one image do not depend on the rest of the
batch and there is no ``batch_stats`` collection; dropout is the only
difference between ``train=True`` and ``train=False`` (with ``train=True``
pass ``rngs={'dropout': key}``). 234k parameters (0.94 MB in float32).
"""

from __future__ import annotations

from collections.abc import Sequence

import flax.linen as nn
import jax


class MNISTClassifier(nn.Module):
  """Convolutional classifier ``images [B, H, W, C] -> logits [B, classes]``.

  Attributes:
    num_classes: number of classes (10 digits).
    conv_features: widths of the two conv blocks (two 3x3 convs each, then a
      2x2 max-pool) and of the final stride-2 conv.
    feature_dim: width of the penultimate dense layer (the features).
    dropout_rate: dropout on the features during training.
  """

  num_classes: int = 10
  conv_features: Sequence[int] = (32, 64, 64)
  feature_dim: int = 128
  dropout_rate: float = 0.5

  def setup(self):
    if len(self.conv_features) != 3 or any(int(f) < 1 for f in self.conv_features):
      raise ValueError(
          f"MNISTClassifier: conv_features={tuple(self.conv_features)!r} must "
          "be three positive widths (block 1, block 2, final stride-2 conv).")
    if self.num_classes < 2 or self.feature_dim < 1:
      raise ValueError(
          f"MNISTClassifier: num_classes={self.num_classes} must be >= 2 and "
          f"feature_dim={self.feature_dim} >= 1.")
    if not 0.0 <= self.dropout_rate < 1.0:
      raise ValueError(
          f"MNISTClassifier: dropout_rate={self.dropout_rate} must be in [0, 1).")
    f1, f2, f3 = (int(f) for f in self.conv_features)
    self.conv_1a = nn.Conv(f1, (3, 3), padding="SAME")
    self.conv_1b = nn.Conv(f1, (3, 3), padding="SAME")
    self.conv_2a = nn.Conv(f2, (3, 3), padding="SAME")
    self.conv_2b = nn.Conv(f2, (3, 3), padding="SAME")
    self.conv_3 = nn.Conv(f3, (3, 3), strides=(2, 2), padding="SAME")
    self.hidden = nn.Dense(self.feature_dim)
    self.dropout = nn.Dropout(self.dropout_rate)
    self.out = nn.Dense(self.num_classes)

  def features(self, x: jax.Array) -> jax.Array:
    """The penultimate layer (after its ReLU; deterministic).

    Args:
      x: images ``[B, H, W, C]`` in ``[-1, 1]``, ``H`` and ``W`` divisible by 4.

    Returns:
      Features ``[B, feature_dim]`` (non-negative).
    """
    if x.ndim != 4 or x.shape[1] % 4 or x.shape[2] % 4:
      raise ValueError(
          f"MNISTClassifier expects images [B, H, W, C] with H and W divisible "
          f"by 4 (e.g. [B, 28, 28, 1]); got shape {tuple(x.shape)}.")
    x = nn.relu(self.conv_1a(x))
    x = nn.relu(self.conv_1b(x))
    x = nn.max_pool(x, (2, 2), strides=(2, 2))
    x = nn.relu(self.conv_2a(x))
    x = nn.relu(self.conv_2b(x))
    x = nn.max_pool(x, (2, 2), strides=(2, 2))
    x = nn.relu(self.conv_3(x))
    x = x.reshape(x.shape[0], -1)
    return nn.relu(self.hidden(x))

  def __call__(self, x: jax.Array, *, train: bool) -> jax.Array:
    """Class logits.

    Args:
      x: images ``[B, H, W, C]`` in ``[-1, 1]``.
      train: apply dropout (needs ``rngs={'dropout': key}``) when true.

    Returns:
      Logits ``[B, num_classes]`` (unnormalised log-probabilities).
    """
    h = self.dropout(self.features(x), deterministic=not train)
    return self.out(h)
