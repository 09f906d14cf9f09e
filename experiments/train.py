r"""The repository's training entry point, ``python -m experiments.train``.

The same command as ``gengan-train`` and ``python -m gengan_jax.train``
(:mod:`gengan_jax.train.cli` has its flags and documentation)::

  python -m experiments.train --config=experiments/configs/alpha_gan.py:ring \
      --workdir=workdirs/alpha_gan_ring [--config.train.steps=2000 ...]
"""

from gengan_jax.train.cli import console_main

if __name__ == "__main__":
  console_main()
