"""experiments.benchmarks.population runs (timings are never asserted)."""

import jax

from experiments.benchmarks import population


def test_measure_and_table():
  row = population.measure("gan", "ring", 2, "map", rounds=1, repeats=1,
                           devices=jax.devices()[:1],
                           changes={"model": {"hidden": (8,)}, "data": {"batch_size": 16}})
  assert row["P"] == 2 and row["batching"] == "map"
  assert row["population_ms"] > 0 and row["sequential_ms"] > 0
  assert abs(row["speedup"] - row["sequential_ms"] / row["population_ms"]) < 1e-9
  line = population.table([row]).splitlines()[-1]
  assert line.startswith("| gan | ring | 2 | map |")
