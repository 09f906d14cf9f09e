"""``python -m gengan_jax.train``: the training command (:mod:`.cli`)."""

from gengan_jax.train.cli import console_main

if __name__ == "__main__":
  console_main()
