"""gengan_jax.use.load: a run restored on the caller's devices, bitwise, and used."""

import json
import os
import shutil
import warnings

import jax
import ml_collections
import numpy as np
import pytest

from gengan_jax.core.keys import gaussian_prior
from gengan_jax.train import loop
from gengan_jax.train.checkpoint import CheckpointError, CheckpointWarning
from gengan_jax.use import RunNotFoundError, load
from tests.train import _runs


def _leaves(tree):
  return [np.asarray(x) for x in jax.tree.leaves(jax.device_get(tree))]


def _assert_bitwise(a, b):
  a, b = _leaves(a), _leaves(b)
  assert len(a) == len(b)
  for x, y in zip(a, b):
    assert x.dtype == y.dtype and x.shape == y.shape
    np.testing.assert_array_equal(x, y)


@pytest.fixture(scope="module")
def eight_device_run(tmp_path_factory):
  """alpha-GAN (it has an encoder), 4 steps on the ring over 8 devices."""
  workdir = str(tmp_path_factory.mktemp("run8"))
  _, state = loop.train(_runs.config("alpha_gan", 4), workdir)
  assert len(jax.devices()) == 8
  return workdir, jax.device_get(state)


def test_a_run_of_8_devices_loads_on_one_bitwise(eight_device_run):
  workdir, trained = eight_device_run
  model = load(workdir)
  assert model.name == "alpha_gan" and model.step == 4 and model.data_shape == (2,)
  assert {d for x in jax.tree.leaves(model.state) for d in x.devices()} == {jax.devices()[0]}
  _assert_bitwise(model.state, trained)
  # The state is the algorithm's own (its config, its networks' apply functions).
  assert model.state.config.latent_dim == 2 and model.has_encoder
  assert not model.has_likelihood


def test_a_run_of_one_device_loads_on_8_bitwise(tmp_path):
  workdir = str(tmp_path / "run1")
  _, trained = loop.train(_runs.config("gan", 2), workdir, devices=jax.devices()[:1])
  model = load(workdir, devices=jax.devices())
  assert len(jax.tree.leaves(model.state)[0].devices()) == 8
  _assert_bitwise(model.state, trained)


def test_sample_encode_reconstruct_in_batches(eight_device_run):
  workdir, _ = eight_device_run
  model = load(workdir)
  # Batch i draws G(z), z ~ N(0, I) from fold_in(key(seed), i): the run's own
  # generator on those z, computed here without the library's batching.
  gen = model.state.generator
  z = [gaussian_prior(jax.random.fold_in(jax.random.key(7), i), 4, 2) for i in range(3)]
  expected = np.concatenate([np.asarray(gen.apply_fn(
      {"params": gen.params, **gen.collections}, zi, train=False)) for zi in z])[:10]
  samples = model.sample(10, seed=7, batch_size=4)
  assert samples.shape == (10, 2) and samples.dtype == np.float32
  np.testing.assert_allclose(samples, expected, rtol=1e-6, atol=1e-6)
  assert not np.allclose(model.sample(10, seed=8, batch_size=4), samples)
  # Codes and reconstructions in padded batches of 3 equal one batch of all 7.
  x = np.random.default_rng(0).normal(size=(7, 2)).astype(np.float32)
  codes = model.encode(x, batch_size=3)
  assert codes.shape == (7, 2)
  np.testing.assert_allclose(codes, model.encode(x, batch_size=7), rtol=1e-6, atol=1e-6)
  rec = model.reconstruct(x, batch_size=3)
  np.testing.assert_allclose(rec, model.reconstruct(x, batch_size=7), rtol=1e-6, atol=1e-6)
  with pytest.raises(ValueError, match=r"examples of shape \(3,\) given; the model takes \(2,\)"):
    model.encode(np.zeros((4, 3)))
  with pytest.raises(ValueError, match="no examples"):
    model.encode(np.zeros((0, 2)))
  with pytest.raises(ValueError, match="num=0 is invalid"):
    model.sample(0)


def test_a_model_without_encoder_or_likelihood_says_so(tmp_path):
  workdir = str(tmp_path / "gan")
  loop.train(_runs.config("gan", 2), workdir)
  model = load(workdir)
  with pytest.raises(ValueError, match="gan has no encode .* algorithms with one: .*alpha_gan"):
    model.encode(np.zeros((2, 2)))
  with pytest.raises(ValueError, match="gan has no log_likelihood .* vae"):
    model.log_likelihood(np.zeros((2, 2)))


def test_loading_only_reads_and_skips_a_damaged_checkpoint(eight_device_run, tmp_path):
  workdir = str(tmp_path / "copy")
  shutil.copytree(eight_device_run[0], workdir)
  ckpts = os.path.join(workdir, "checkpoints")
  assert sorted(os.listdir(ckpts)) == ["2", "4"]
  older = load(workdir, step=2)
  # Damage the newest: its JSON record (with the fingerprint) cut short.
  with open(os.path.join(ckpts, "4", "meta", "metadata"), "w") as f:
    f.write('{"step": 4, "fingerprint": ')
  before = sorted(os.listdir(workdir)), sorted(os.listdir(ckpts))
  with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    model = load(workdir)
  assert model.step == 2
  _assert_bitwise(model.state, older.state)
  assert any(issubclass(w.category, CheckpointWarning) and "damaged" in str(w.message)
             and "skipped" in str(w.message) for w in caught)
  # Nothing moved, nothing created.
  assert (sorted(os.listdir(workdir)), sorted(os.listdir(ckpts))) == before
  with pytest.raises(CheckpointError):
    load(workdir, step=4)


def test_a_run_saved_without_the_data_shape_loads_from_its_data(eight_device_run, tmp_path):
  workdir = str(tmp_path / "old")
  shutil.copytree(eight_device_run[0], workdir)
  for step in ("2", "4"):
    meta_file = os.path.join(workdir, "checkpoints", step, "meta", "metadata")
    meta = json.load(open(meta_file))
    del meta["data_shape"]
    json.dump(meta, open(meta_file, "w"))
  _assert_bitwise(load(workdir).state, load(eight_device_run[0]).state)


def test_a_population_member_loads_as_its_slice(tmp_path):
  c = _runs.config("gan", 2)
  c.population = ml_collections.ConfigDict({"seeds": 2})
  workdir = str(tmp_path / "pop")
  _, population_state = loop.train(c, workdir)
  member = load(os.path.join(workdir, "members", "001"))
  _assert_bitwise(member.state, jax.tree.map(lambda x: x[1], population_state))
  assert member.config.seed == c.seed + 1
  with pytest.raises(RunNotFoundError, match="population's work directory; load one member"):
    load(workdir)


def test_errors_are_one_line(tmp_path):
  with pytest.raises(RunNotFoundError, match="does not exist"):
    load(str(tmp_path / "nowhere"))
  (tmp_path / "file").write_text("x")
  with pytest.raises(RunNotFoundError, match="is a file"):
    load(str(tmp_path / "file"))
  with pytest.raises(RunNotFoundError, match="has no config.json"):
    load(str(tmp_path))
  empty = tmp_path / "empty"
  empty.mkdir()
  json.dump(_runs.config("gan", 2).to_dict(), open(empty / "config.json", "w"))
  with pytest.raises(RunNotFoundError, match="no checkpoint in"):
    load(str(empty))
  assert not (empty / "checkpoints").exists()  # loading created nothing


def test_a_missing_step_names_the_steps_there(eight_device_run):
  with pytest.raises(RunNotFoundError, match=r"no checkpoint of step 3 .* steps \[2, 4\]"):
    load(eight_device_run[0], step=3)
