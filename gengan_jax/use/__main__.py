"""``python -m gengan_jax.use``: the command that uses a trained run (:mod:`.cli`)."""

from gengan_jax.use.cli import console_main

if __name__ == "__main__":
  console_main()
