"""Evaluations as Markdown tables: one per run, or one row per run."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

_PROTOCOL_NAMES = {"veegan": "VEEGAN", "pacgan": "PacGAN"}
_FIELD_NAMES = {"modes_covered": "modes covered", "high_quality_fraction": "high-quality samples",
                "reverse_kl": "reverse KL"}
_FIELD_IDEAL = {"modes_covered": "all", "high_quality_fraction": "98.9% (3 std in 2-D)",
                "reverse_kl": "0"}


def fmt(x: Any, spec: str = ".3f") -> str:
  """A number as ``format(x, spec)``; strings as they are; ``None`` as ``'-'``."""
  if isinstance(x, str):
    return x
  if x is None:
    return "-"
  return format(float(x), spec)


def markdown(rows: Sequence[Sequence[str]]) -> str:
  """A Markdown table; the first row is the header."""
  lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
  lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows[1:]]
  return "\n".join(lines)


def _mixture_columns(coverage: dict) -> list[tuple[str, str, dict]]:
  """``(label, field, values)`` per reported number, protocols with the same
  settings merged (they are evaluated on the same samples, so they agree)."""
  groups: dict[tuple, list[str]] = {}
  for name, r in coverage.items():
    groups.setdefault((r["num_samples"], r["threshold_stds"], r["min_count"]), []).append(name)
  out = []
  for (n, std, _), names in groups.items():
    fields = []
    for name in names:
      fields += [f for f in coverage[name]["reported"] if f not in fields]
    for field in fields:
      who = [_PROTOCOL_NAMES.get(m, m) for m in names if field in coverage[m]["reported"]]
      source = next(m for m in names if field in coverage[m]["reported"])
      out.append((f"{', '.join(who)}; {n} samples, {std:g} std", field, coverage[source]))
  return out


def _mixture_value(field: str, r: dict) -> str:
  if field == "modes_covered":
    return f"{r['modes_covered']} / {r['num_modes']}"
  if field == "high_quality_fraction":
    return f"{100 * float(r['high_quality_fraction']):.1f}%"
  return fmt(r[field])


def run_table(result: dict) -> str:
  """One run's metrics as a Markdown table: metric | samples | reference.

  Args:
    result: an evaluation (what ``evaluation.json`` holds).

  Returns:
    The table, one row per metric that was computed.
  """
  rows = [("metric", "samples", "reference (real data)")]
  if result["kind"] == "mixture":
    for label, field, r in _mixture_columns(result["mode_coverage"]):
      rows.append((f"{_FIELD_NAMES[field]} ({label})", _mixture_value(field, r),
                   _FIELD_IDEAL[field]))
  else:
    c = result.get("classifier_metrics")
    if isinstance(c, dict):
      s, t = c["samples_vs_held_out"], c["reference"]
      rows += [("MNIST FID", fmt(s["fid"], ".2f"),
                fmt(t["fid"], ".2f") + f" ({result['reference']})"),
               ("MNIST KID", f"{s['kid']:.4g} +- {s['kid_std']:.2g}", f"{t['kid']:.4g}"),
               ("MNIST IS", f"{c['inception_score']['samples']:.2f}",
                f"{c['inception_score']['held_out']:.2f} (held-out)"),
               ("precision", fmt(s["precision"]), fmt(t["precision"])),
               ("recall", fmt(s["recall"]), fmt(t["recall"])),
               ("density", fmt(s["density"]), fmt(t["density"])),
               ("coverage", fmt(s["coverage"]), fmt(t["coverage"]))]
    c = result.get("inception_metrics")
    if isinstance(c, dict):
      s, t = c["samples_vs_held_out"], c["reference"]
      rows += [("Inception FID", fmt(s["fid"], ".2f"), fmt(t["fid"], ".2f")),
               ("Inception KID", f"{s['kid']:.4g} +- {s['kid_std']:.2g}", f"{t['kid']:.4g}"),
               ("Inception IS", f"{c['inception_score']['samples']:.2f}",
                f"{c['inception_score']['held_out']:.2f} (held-out)"),
               ("Inception precision / recall", f"{s['precision']:.3f} / {s['recall']:.3f}",
                f"{t['precision']:.3f} / {t['recall']:.3f}")]
    if "stacked_mnist" in result:
      sm, ref = result["stacked_mnist"]["samples"], result["stacked_mnist"]["held_out"]
      rows += [("Stacked MNIST modes (of 1000)", str(sm["modes"]), str(ref["modes"])),
               ("Stacked MNIST KL to uniform", fmt(sm["kl_to_uniform"]),
                fmt(ref["kl_to_uniform"]))]
      if "confident_modes" in sm:  # evaluations from before it have none
        rows.append((f"Stacked MNIST modes of confident samples (3 digits at p >= "
                     f"{sm['threshold']:g}; their share)",
                     f"{sm['confident_modes']} ({100 * sm['confident_share']:.1f}%)",
                     f"{ref['confident_modes']} ({100 * ref['confident_share']:.1f}%)"))
    d = result["ms_ssim_diversity"]
    rows.append(("MS-SSIM diversity (1 - mean MS-SSIM)", fmt(d["samples"]),
                 f"{fmt(d['held_out'])} real, {fmt(d['held_out_plus_noise'])} real+noise"))
    lat = result.get("latent_statistics")
    if isinstance(lat, dict) and "kl_gaussian_fit_to_prior" in lat:
      rows.append((f"latent: KL from a Gaussian fit of the codes to the {lat['prior']} prior",
                   fmt(lat["kl_gaussian_fit_to_prior"]), "0"))
    act = result.get("active_units")
    if isinstance(act, dict):
      rows.append(("latent: active units (Burda et al.: Var_x of the code > 0.01)",
                   f"{act['active']} / {act['dimensions']}", "-"))
    rec = result.get("reconstruction_error")
    if isinstance(rec, dict):
      rows.append(("reconstruction: squared error per pixel (held-out)",
                   fmt(rec["mse_per_pixel"]), "0"))
  crit = result.get("independent_critic")
  if isinstance(crit, dict):
    rows.append(("independent critic: -W (train / valid, last)", critic_cell(crit, ".3f"), "0"))
  rows += divergence_rows(result)
  rows += likelihood_rows(result)
  rows.append(("likelihood", result["likelihood"].split(":")[0], "-"))
  return markdown(rows)


def _nats(s: dict) -> str:
  return f"{s['mean']:.2f} +- {s['se']:.2f}"


def likelihood_rows(result: dict) -> list[tuple[str, str, str]]:
  """The held-out likelihood's rows of :func:`run_table` (none without one)."""
  h = result.get("held_out_likelihood")
  if not isinstance(h, dict):
    return []
  on = f"{h['num_examples']} held-out examples"
  ref = "<= log p(x)"
  if "data_log_density" in h:
    ref = f"{h['data_log_density']['mean']:.2f} (the mixture's own log-density)"
  rows = []
  if "iwae" in h:
    rows += [(f"ELBO (nats, {on})", _nats(h["elbo"]), ref),
             (f"IWAE bound, k = {h['iwae']['k']} (nats, {on})", _nats(h["iwae"]), ref)]
  else:
    rows.append((f"log-likelihood (nats, {on})", _nats(h["log_likelihood_nats"]),
                 ref if "data_log_density" in h else "-"))
  bpd = h.get("bits_per_dim")
  if isinstance(bpd, dict):
    rows.append((f"bits/dim ({bpd['correction']})",
                 " / ".join(f"{fmt(v)} ({k})" for k, v in bpd.items() if k != "correction"),
                 "-"))
  s = h.get("elbo_surgery")
  if isinstance(s, dict):
    prior = s.get("prior", "N(0, I)")
    rows.append((f"ELBO surgery: average KL = I[n; z] + KL(q(z) || p(z)), p = {prior} (nats)",
                 f"{s['average_kl']:.2f} = {s['mutual_information']:.2f} + "
                 f"{s['marginal_kl']:.2f}", f"I <= log N = {s['log_num_examples']:.2f}"))
  return rows


# The four divergence critics (Im et al. 2018): their rows' and columns' names.
DIVERGENCE_NAMES = {"gan": ("GAN critic: JS (nats)", "JS"),
                    "least_squares": ("LS critic: Pearson chi^2 of p from (p+q)/2", "LS chi^2"),
                    "wasserstein_gp": ("WGAN-GP critic: W1", "W1"),
                    "mmd": ("MMD critic: MMD^2, learned kernel", "MMD^2")}


def divergence_cell(estimate: Any, spec: str = ".3f") -> str:
  """One divergence critic's ``mean +- sd`` over critic seeds (``-`` if absent)."""
  if not isinstance(estimate, dict):
    return "-"
  return f"{fmt(estimate['mean'], spec)} +- {fmt(estimate['std'], spec)}"


def divergence_rows(result: dict) -> list[tuple[str, str, str]]:
  """The divergence critics' rows of :func:`run_table` (none when skipped)."""
  d = result.get("divergence_critics")
  if not isinstance(d, dict):
    return []
  seeds = f"{d['num_seeds']} seeds x {d['steps']} steps"
  return [(f"divergence critic, {DIVERGENCE_NAMES.get(name, (name,))[0]} ({seeds})",
           divergence_cell(e), "0") for name, e in d["estimates"].items()]


def _divergence_columns(rows: list[list[str]], results: Sequence[dict]) -> None:
  """Appends one column per divergence critic to ``rows`` when a run has them."""
  names = []
  for r in results:
    d = r.get("divergence_critics")
    if isinstance(d, dict):
      names += [k for k in d["estimates"] if k not in names]
  if not names:
    return
  rows[0].extend(f"{DIVERGENCE_NAMES.get(k, (k, k))[1]} (critic)" for k in names)
  for row, r in zip(rows[1:], results):
    d = r.get("divergence_critics")
    est = d["estimates"] if isinstance(d, dict) else {}
    row.extend(divergence_cell(est.get(k), ".3g") for k in names)
  for row in rows[len(results) + 1:]:  # the reference row
    row.extend("0" for _ in names)


def critic_cell(crit: Any, spec: str = ".2f") -> str:
  """The independent critic's last ``-W`` on its training and validation data."""
  if not isinstance(crit, dict):
    return "-"
  return (f"{fmt(crit['train_negative_wasserstein'][-1], spec)} / "
          f"{fmt(crit['valid_negative_wasserstein'][-1], spec)}")


def likelihood_cell(result: dict) -> str:
  """The tightest held-out likelihood number of a run, for the summary tables."""
  h = result.get("held_out_likelihood")
  if not isinstance(h, dict):
    return "-"
  if "iwae" in h:
    return f"{h['iwae']['mean']:.2f} (k={h['iwae']['k']}; ELBO {h['elbo']['mean']:.2f})"
  return f"{h['log_likelihood_nats']['mean']:.2f}"


def _feature_metrics(result: dict) -> tuple[dict | None, str]:
  """The feature metrics of a run's summary row: the MNIST classifier's, else
  the Inception network's (marked ``' (Inception)'`` beside the FID)."""
  c = result.get("classifier_metrics")
  if isinstance(c, dict):
    return c, ""
  c = result.get("inception_metrics")
  return (c, " (Inception)") if isinstance(c, dict) else (None, "")


def summary_tables(results: Sequence[dict]) -> str:
  """Several runs: one Markdown table per kind of data, one row per run.

  Args:
    results: evaluations (what ``evaluation.json`` holds).

  Returns:
    The tables (mixtures, then images with a last row of real-vs-real
    reference values), separated by a blank line.
  """
  out = []
  mix = [r for r in results if r["kind"] == "mixture"]
  if mix:
    columns = _mixture_columns(mix[0]["mode_coverage"])
    rows = [["run", "step"] + [f"{_FIELD_NAMES[f]} ({label})" for label, f, _ in columns]]
    for r in mix:
      cols = _mixture_columns(r["mode_coverage"])
      rows.append([os.path.basename(r["workdir"]), str(r["step"])] +
                  [_mixture_value(f, v) for _, f, v in cols])
    if any(isinstance(r.get("independent_critic"), dict) for r in mix):
      rows[0].append("critic -W train / valid")
      for row, r in zip(rows[1:], mix):
        row.append(critic_cell(r.get("independent_critic")))
    _divergence_columns(rows, mix)
    _likelihood_column(rows, mix)
    out.append(markdown(rows))
  img = [r for r in results if r["kind"] != "mixture"]
  if img:
    rows = [["run", "step", "FID", "KID", "IS", "precision", "recall", "density",
             "coverage", "MS-SSIM div.", "critic -W train / valid", "latent KL", "active units",
             "rec. MSE / pixel", "seconds"]]
    for r in img:
      c, which = _feature_metrics(r)
      s = c["samples_vs_held_out"] if isinstance(c, dict) else {}
      crit = r.get("independent_critic")
      lat = r.get("latent_statistics")
      act, rec = r.get("active_units"), r.get("reconstruction_error")
      rows.append([
          os.path.basename(r["workdir"]), str(r["step"]),
          fmt(s.get("fid"), ".2f") + which,
          fmt(s["kid"], ".4g") if s else "-",
          fmt(c["inception_score"]["samples"], ".2f") if s else "-",
          fmt(s.get("precision")), fmt(s.get("recall")), fmt(s.get("density")),
          fmt(s.get("coverage")), fmt(r["ms_ssim_diversity"]["samples"]),
          critic_cell(crit),
          fmt(lat.get("kl_gaussian_fit_to_prior")) if isinstance(lat, dict) else "-",
          f"{act['active']} / {act['dimensions']}" if isinstance(act, dict) else "-",
          fmt(rec["mse_per_pixel"], ".4f") if isinstance(rec, dict) else "-",
          fmt(r["seconds"], ".0f")])
    ref = img[0]
    c, which = _feature_metrics(ref)
    if isinstance(c, dict):
      t = c["reference"]
      d = ref["ms_ssim_diversity"]
      rows.append([f"*data: {ref['reference']}*", "-", fmt(t["fid"], ".2f") + which,
                   fmt(t["kid"], ".4g"), fmt(c["inception_score"]["held_out"], ".2f"),
                   fmt(t["precision"]), fmt(t["recall"]), fmt(t["density"]),
                   fmt(t["coverage"]),
                   f"{fmt(d['held_out'])} (+noise {fmt(d['held_out_plus_noise'])})",
                   "0 / 0", "0", "-", "0", "-"])
    _divergence_columns(rows, img)
    _likelihood_column(rows, img)
    out.append(markdown(rows))
  return "\n\n".join(out)


def _likelihood_column(rows: list[list[str]], results: Sequence[dict]) -> None:
  """Appends a held-out likelihood column to ``rows`` when a run has one."""
  if not any(isinstance(r.get("held_out_likelihood"), dict) for r in results):
    return
  rows[0].append("held-out log p bound (nats)")
  for row, r in zip(rows[1:], results):
    row.append(likelihood_cell(r))
  for row in rows[len(results) + 1:]:  # the reference row
    row.append("-")
