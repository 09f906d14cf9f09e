r"""Ablation: PacGAN Table 3's discriminator without batch norm on its first layer.

The Unrolled GAN Stacked MNIST discriminator (``arch='unrolled_gan'``,
:mod:`gengan_jax.nets.dcgan_tensorflow`; PacGAN's ``D=0.25G`` and
``D=0.5G/model.py``: ``d_bn1`` right after the first conv) batch-normalises
its first layer over batches that are all real or all generated. Per
channel, that layer's output then no longer depends on the images' mean
brightness or contrast (only the 'SAME' padding's border sees them), so
early in training the discriminator tells samples from digits by their
normalised texture alone and the generator keeps a grey, low-contrast
output for thousands of steps. This command trains or evaluates a
``:pacgan_stacked_mnist_d4`` / ``_d2`` run with that one layer's batch norm
removed (every other setting the protocol's), to measure how much of the
slow start it explains. It is a diagnostic, not the protocol: the configs
keep the reference's networks.

Usage (the flags of ``experiments.train`` / ``experiments.evaluate``)::

  python -m experiments.ablate_first_batch_norm train \
      --config=experiments/configs/dcgan.py:pacgan_stacked_mnist_d2 --workdir=runs/d2_no_first_bn \
      --config.data.split=train5k --config.train.steps=3000
  python -m experiments.ablate_first_batch_norm evaluate --workdir=runs/d2_no_first_bn \
      --critic_steps=0 --likelihood_samples=0 --num_samples=25600

A run written by this command is read back by this command only (its
discriminator has no ``bn_0``).
"""

from __future__ import annotations

import dataclasses
import sys

from gengan_jax.nets import dcgan_tensorflow

COMMANDS = ("train", "evaluate")


def without_first_batch_norm() -> None:
  """Replaces the ``unrolled_gan`` preset by one without batch norm on the first layer."""
  preset = dcgan_tensorflow.PRESETS["unrolled_gan"]
  dcgan_tensorflow.PRESETS["unrolled_gan"] = dataclasses.replace(preset, batch_norm_first=False)


def main(argv: list[str]) -> None:
  if len(argv) < 2 or argv[1] not in COMMANDS:
    sys.exit(f"usage: python -m experiments.ablate_first_batch_norm {{{'|'.join(COMMANDS)}}} "
             "[the flags of experiments.train / experiments.evaluate]")
  without_first_batch_norm()
  command = argv[1]
  sys.argv = [f"{argv[0]} {command}"] + argv[2:]
  if command == "train":
    from gengan_jax.train.cli import console_main  # pylint: disable=g-import-not-at-top
  else:
    from gengan_jax.evaluate.cli import console_main  # pylint: disable=g-import-not-at-top
  console_main()


if __name__ == "__main__":
  main(sys.argv)
