"""``python -m gengan_jax.evaluate``: the evaluation command (:mod:`.cli`)."""

from gengan_jax.evaluate.cli import console_main

if __name__ == "__main__":
  console_main()
