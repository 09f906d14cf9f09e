"""gengan-use: sample, encode, reconstruct and export a trained run."""

import os
import subprocess
import sys

import jax
import numpy as np
import pytest
from absl import flags

from gengan_jax.core.keys import gaussian_prior
from gengan_jax.train import loop
from gengan_jax.use import RunNotFoundError, cli, export, files, load
from tests.train import _runs


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
  workdir = str(tmp_path_factory.mktemp("run"))
  loop.train(_runs.config("alpha_gan", 2), workdir)
  return workdir


def _flags(*argv):
  fv = flags.FlagValues()
  cli.define_flags(fv)
  fv(["gengan-use", *argv, "--noprogress"])
  return fv


def test_sample_writes_the_model_samples_and_a_picture(run_dir, tmp_path):
  out = str(tmp_path / "s.npz")
  written = cli.run("sample", _flags(f"--workdir={run_dir}", "--num=1100", "--seed=3",
                                     "--batch_size=500", f"--out={out}"))
  assert written == [out, str(tmp_path / "s.png")]
  samples = np.load(out)["samples"]
  model = load(run_dir)
  np.testing.assert_array_equal(samples, model.sample(1100, seed=3, batch_size=500))
  assert os.path.getsize(tmp_path / "s.png") > 1000
  assert sorted(os.listdir(tmp_path)) == ["s.npz", "s.png"]  # no partial files left


def test_encode_and_reconstruct_a_mixture_draw(run_dir):
  fv = _flags(f"--workdir={run_dir}", "--num=300", "--seed=1", "--batch_size=128")
  (codes_file,) = cli.run("encode", fv)
  assert codes_file == os.path.join(run_dir, "use", "encode-step2-seed1.npz")
  with np.load(codes_file) as f:
    codes, inputs = f["codes"], f["inputs"]
  assert codes.shape == (300, 2) and inputs.shape == (300, 2)
  model = load(run_dir)
  np.testing.assert_allclose(codes, model.encode(inputs), rtol=1e-6, atol=1e-6)
  (rec_file,) = cli.run("reconstruct", fv)
  with np.load(rec_file) as f:
    np.testing.assert_array_equal(f["inputs"], inputs)  # the same draws (same seed)
    np.testing.assert_allclose(f["reconstructions"], model.reconstruct(inputs),
                               rtol=1e-6, atol=1e-6)


def test_the_exported_generator_draws_the_run_samples(run_dir, tmp_path):
  out = str(tmp_path / "g.msgpack")
  assert cli.run("export", _flags(f"--workdir={run_dir}", f"--out={out}")) == [
      out, out + ".json"]
  module, variables = export.load_exported(out)
  assert set(variables) == {"params"} or "batch_stats" in variables
  z = gaussian_prior(jax.random.fold_in(jax.random.key(5), 0), 64, 2)
  got = np.asarray(module.apply(variables, z, train=False))
  np.testing.assert_allclose(got, load(run_dir).sample(64, seed=5, batch_size=64),
                             rtol=1e-6, atol=1e-6)
  # Plain Flax reads the parameters too.
  import flax.serialization  # pylint: disable=g-import-not-at-top
  raw = flax.serialization.msgpack_restore(open(out, "rb").read())
  np.testing.assert_array_equal(jax.tree.leaves(raw)[0], jax.tree.leaves(variables)[0])
  with pytest.raises(ValueError, match="network='critic' is not a network of alpha_gan; "
                     "its networks: .*generator"):
    cli.run("export", _flags(f"--workdir={run_dir}", "--network=critic",
                             f"--out={tmp_path / 'c.msgpack'}"))


def test_write_npz_leaves_nothing_when_the_rows_do_not_add_up(tmp_path):
  path = str(tmp_path / "x.npz")
  with pytest.raises(ValueError, match="3 rows of a arrived for an array of 4"):
    files.write_npz(path, {"a": [np.zeros((2, 1)), np.zeros((1, 1))]}, 4)
  assert os.listdir(tmp_path) == []
  files.write_npz(path, {"a": [np.ones((2, 1)), np.zeros((2, 1))], "b": [np.arange(4)]}, 4)
  with np.load(path) as f:
    assert f["a"][:, 0].tolist() == [1, 1, 0, 0] and f["b"].tolist() == [0, 1, 2, 3]


def test_errors_are_one_line(run_dir, tmp_path):
  with pytest.raises(ValueError, match="--split='test' does not apply: data.source='toy' "
                     "has no splits"):
    cli.run("encode", _flags(f"--workdir={run_dir}", "--split=test"))
  with pytest.raises(ValueError, match="--data='nope=1' is invalid"):
    cli.run("encode", _flags(f"--workdir={run_dir}", "--data=nope=1"))
  with pytest.raises(RunNotFoundError, match="load: .* does not exist"):
    cli.run("sample", _flags(f"--workdir={tmp_path / 'none'}"))
  with pytest.raises(SystemExit, match="error: name one command of sample, encode, "
                     "reconstruct, export .got draw"):
    cli.main(["gengan-use", "draw"])
  # The entry point: one error line, exit status 1.
  gan = str(tmp_path / "gan")
  loop.train(_runs.config("gan", 2), gan)
  p = subprocess.run([sys.executable, "-m", "gengan_jax.use", "encode", f"--workdir={gan}"],
                     cwd=_runs.ROOT, env=_runs.env(1), capture_output=True, text=True,
                     timeout=120)
  assert p.returncode == 1, p.stderr
  lines = p.stderr.strip().splitlines()
  assert len(lines) == 1 and lines[0].startswith("error: gan has no encode"), p.stderr
