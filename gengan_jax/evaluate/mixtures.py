"""Mode coverage of a run on a mixture of Gaussians (VEEGAN and PacGAN protocols)."""

from __future__ import annotations

from typing import Any

import jax

from gengan_jax.evaluate import _json
from gengan_jax.evaluate.loading import draw_samples
from gengan_jax.metrics import mixtures


def evaluate_mixture(exp: Any, state: Any, key: jax.Array,
                     num_samples: int | None) -> tuple[dict, dict]:
  """Mode coverage under the VEEGAN and the PacGAN protocols.

  Each protocol (:data:`gengan_jax.metrics.mixtures.PROTOCOLS`) fixes the
  number of samples, the high-quality threshold and the mode criterion, and
  lists the numbers its paper reports; protocols with the same sample count
  are evaluated on the same samples (drawn with ``fold_in(key, count)``).

  Args:
    exp: the run's experiment (its dataset is a mixture).
    state: the restored state.
    key: the evaluation's key.
    num_samples: overrides every protocol's sample count (``None``: keep).

  Returns:
    ``(metrics, arrays)``: per protocol its settings and reported numbers
    plus the per-mode counts; and the samples and counts for the pictures.
  """
  mix = exp.dataset.mixture
  out, arrays, drawn = {}, {"means": mix.means}, {}
  for name, protocol in mixtures.PROTOCOLS.items():
    n = num_samples or protocol.num_samples
    if n not in drawn:
      drawn[n] = draw_samples(exp, state, n, jax.random.fold_in(key, n))
    cov = mixtures.mode_coverage(drawn[n], mix.means, mix.std,
                                 threshold_stds=protocol.threshold_stds,
                                 min_count=protocol.min_count)
    values = cov.as_dict()
    out[name] = {"num_samples": n, "threshold_stds": protocol.threshold_stds,
                 "min_count": protocol.min_count, "num_modes": cov.num_modes,
                 "reported": list(protocol.reports), "reference": protocol.reference,
                 **{k: _json.finite(values[k]) for k in protocol.reports},
                 "counts": [int(c) for c in cov.counts]}
    arrays.setdefault("samples", drawn[n])
    arrays.setdefault("counts", cov.counts)
  return out, arrays
