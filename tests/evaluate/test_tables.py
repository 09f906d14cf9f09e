"""The evaluation's summary table reads the Inception metrics where a run has no
MNIST-classifier ones (32x32 and 64x64 RGB runs)."""

from gengan_jax.evaluate import tables


def _features(fid, held_out_fid):
  side = dict(fid=fid, kid=0.5, kid_std=0.01, precision=0.6, recall=0.4, density=0.9,
              coverage=0.7)
  ref = dict(side, fid=held_out_fid)
  return {"samples_vs_held_out": side, "reference": ref,
          "inception_score": {"samples": 3.25, "samples_std": 0.1, "held_out": 9.5}}


def _image_run(name, classifier, inception):
  return {"workdir": f"/runs/{name}", "step": 100, "kind": "images", "seconds": 12.0,
          "reference": "cifar10/test", "classifier_metrics": classifier,
          "inception_metrics": inception,
          "ms_ssim_diversity": {"samples": 0.8, "held_out": 0.9, "held_out_plus_noise": 0.7},
          "independent_critic": "skipped"}


def test_a_run_with_inception_metrics_only_shows_them_marked():
  rgb = _image_run("cifar", "not applicable", _features(41.25, 2.5))
  digits = _image_run("mnist", _features(7.75, 0.5), "skipped")
  table = tables.summary_tables([rgb, digits])
  row = {line.split("|")[1].strip(): line for line in table.splitlines() if line.startswith("|")}
  assert "41.25 (Inception)" in row["cifar"] and "3.25" in row["cifar"]
  assert "7.75" in row["mnist"] and "(Inception)" not in row["mnist"]
  # The real-data row is the first run's: its Inception reference values.
  (data_row,) = [line for line in table.splitlines() if "*data:" in line]
  assert "2.50 (Inception)" in data_row and "9.50" in data_row
