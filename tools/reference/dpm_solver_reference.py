#!/usr/bin/env python3
"""Reference data for flowmatch's DPMSolverMultistepScheduler (flow mode), made by diffusers' own code.

Runs diffusers v0.40.0's unmodified ``scheduling_dpmsolver_multistep.py`` under Debian's python3-torch 1.13 (CPU,
``ATEN_CPU_CAPABILITY=avx2``, one thread) and numpy 1.24, and writes two files:

* ``dpm-solver-runs.json``: the schema of the shared ``sampler-goldens.json`` (``sampler_runs[]``, ``scale_noise[]``)
  with other configs, step counts, seeds, shapes and dtypes than the shared sample, replayed by the conformance
  suite on every backend (bundled in core/src/test/resources/golden/);
* ``dpm-solver-schedules.json``: what one replayed run cannot show: sequences of ``set_timesteps`` calls on one
  scheduler (``mu`` overwrites ``config.flow_shift`` for later calls), the final sigma for each ``beta_schedule``,
  ``np.exp`` bits (numpy's float64 exp, which sets ``flow_shift``), and configs diffusers refuses or answers with
  non-finite values (core/src/test/resources/reference/).

No diffusers code is copied: the module is imported from an extracted diffusers source tree, and the third-party
packages diffusers imports at package load (huggingface_hub, ...) are stubbed in a throwaway directory that this
script creates; the scheduler module never uses them.

Usage (Debian python3-torch 1.13 on x86-64 with AVX-512, like the machine of the shared goldens):

    git -C /work/.mirror/huggingface+diffusers/repo archive v0.40.0 src/diffusers | tar -x -C /tmp/diffusers-040
    /usr/bin/python3 tools/reference/dpm_solver_reference.py --diffusers-src /tmp/diffusers-040/src \\
        --out-runs core/src/test/resources/golden/dpm-solver-runs.json \\
        --out-schedules core/src/test/resources/reference/dpm-solver-schedules.json
"""
import argparse
import importlib.abc
import importlib.machinery
import json
import math
import os
import sys
import tempfile
import types

os.environ.setdefault("ATEN_CPU_CAPABILITY", "avx2")

import numpy as np  # noqa: E402
import torch  # noqa: E402

torch.set_num_threads(1)

STUBBED = {"huggingface_hub", "requests", "safetensors", "filelock", "regex", "PIL", "httpx", "yaml", "tqdm"}


class _Any:
    """A stand-in for anything a stubbed module is asked for."""

    def __init__(self, *a, **k):
        pass

    def __call__(self, *a, **k):
        return _Any()

    def __getattr__(self, name):
        return _Any()

    def __mro_entries__(self, bases):
        return (object,)

    def __iter__(self):
        return iter(())

    def __bool__(self):
        return False

    def __or__(self, other):
        return self

    def __ror__(self, other):
        return self

    def __getitem__(self, k):
        return _Any()


class _StubModule(types.ModuleType):
    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return _Any()


class _StubFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, fullname, path, target=None):
        if fullname.split(".")[0] in STUBBED:
            return importlib.machinery.ModuleSpec(fullname, self, is_package=True)
        return None

    def create_module(self, spec):
        m = _StubModule(spec.name)
        m.__path__ = []
        m.__version__ = "99.0.0"
        if spec.name == "huggingface_hub.constants":
            m.HF_HOME = tempfile.gettempdir()
        return m

    def exec_module(self, module):
        pass


def import_dpm(diffusers_src):
    """diffusers' DPMSolverMultistepScheduler, imported without running diffusers' package __init__."""
    sys.meta_path.insert(0, _StubFinder())
    for name in ("xpu", "mps", "npu", "mlu", "musa"):  # torch 1.13 lacks these; diffusers lists them at import
        if not hasattr(torch, name):
            setattr(torch, name, _Any())
    stub_dir = tempfile.mkdtemp(prefix="dpm-reference-stubs-")
    with open(os.path.join(stub_dir, "dependency_versions_check.py"), "w") as f:
        f.write("def dep_version_check(pkg, hint=None):\n    pass\n")
    package = types.ModuleType("diffusers")
    package.__path__ = [stub_dir, os.path.join(diffusers_src, "diffusers")]
    package.__version__ = "0.40.0"
    sys.modules["diffusers"] = package
    from diffusers.schedulers.scheduling_dpmsolver_multistep import DPMSolverMultistepScheduler
    return DPMSolverMultistepScheduler


DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


def tensor_json(t):
    t = t.detach().contiguous()
    if t.dtype == torch.float32:
        bits = t.numpy().view(np.int32).reshape(-1).tolist()
    else:
        bits = (t.view(torch.int16).numpy().astype(np.int64) & 0xFFFF).reshape(-1).tolist()
    return {"dtype": str(t.dtype).replace("torch.", ""), "shape": list(t.shape), "bits": bits}


def float32_json(t):
    t = t.detach().to(torch.float32).contiguous()
    return {"dtype": "float32", "shape": list(t.shape), "bits": t.numpy().view(np.int32).reshape(-1).tolist(),
            "values": [float(v) for v in t.numpy().reshape(-1)]}


def int64_json(t):
    return {"dtype": "int64", "shape": list(t.shape), "values": [int(v) for v in t.numpy().reshape(-1)]}


def flow_config(**keys):
    config = {"_class_name": "DPMSolverMultistepScheduler", "use_flow_sigmas": True,
              "prediction_type": "flow_prediction"}
    config.update(keys)
    return config


def make_run(Dpm, name, config, steps, dtype="float32", shape=(1, 4, 16), seed=0, generator_seed=None, mu=None,
             begin_index=None, start_index=0, notes=None):
    scheduler = Dpm.from_config(config)
    flow_shift_before = scheduler.config.flow_shift
    scheduler.set_timesteps(num_inference_steps=steps, mu=mu)
    run = {"name": name, "scheduler": "DPMSolverMultistepScheduler", "config": config,
           "set_timesteps": {"num_inference_steps": steps, "sigmas": None, "mu": mu, "timesteps": None}}
    if scheduler.config.flow_shift != flow_shift_before:
        run["config_attributes_after_set_timesteps"] = {"flow_shift": float(scheduler.config.flow_shift)}
    if begin_index is not None:
        scheduler.set_begin_index(begin_index)
    model_dtype = DTYPES["bfloat16" if dtype == "mixed" else dtype]
    sample_dtype = torch.float32 if dtype == "mixed" else DTYPES[dtype]
    data = torch.Generator().manual_seed(seed)
    x = torch.randn(shape, generator=data)
    initial_from = None
    if start_index > 0 and begin_index is not None:
        image = torch.randn(shape, generator=data)
        noise = torch.randn(shape, generator=data)
        timestep = scheduler.timesteps[start_index:start_index + 1].repeat(shape[0])
        x = scheduler.add_noise(image.to(sample_dtype), noise.to(sample_dtype), timestep)
        initial_from = "add_noise(image, noise, timesteps[start_index:start_index+1].repeat(B)) after set_begin_index"
    sample = x.to(sample_dtype)
    run.update({"begin_index": begin_index, "start_index": start_index, "order": scheduler.order,
                "init_noise_sigma": float(scheduler.init_noise_sigma),
                "num_inference_steps": scheduler.num_inference_steps,
                "sigmas": float32_json(scheduler.sigmas), "timesteps": int64_json(scheduler.timesteps),
                "dtype": dtype, "model_output_dtype": str(model_dtype).replace("torch.", ""),
                "sample_dtype": str(sample_dtype).replace("torch.", ""), "generator_seed": generator_seed,
                "step_kwargs": {}, "initial_sample": tensor_json(sample)})
    if initial_from:
        run["initial_sample_from"] = initial_from
    generator = None if generator_seed is None else torch.Generator().manual_seed(generator_seed)
    recorded = []
    for i in range(start_index, len(scheduler.timesteps)):
        t = scheduler.timesteps[i]
        base = torch.randn(shape, generator=data)
        # A synthetic velocity of the current sample (not a model): enough to exercise every rounding.
        model_output = (0.75 * sample.to(torch.float32) - 0.5 * base).to(model_dtype)
        noise = []
        if generator is not None:
            state = generator.get_state()
        prev = scheduler.step(model_output, t, sample, generator=generator, return_dict=False)[0]
        if generator is not None and not torch.equal(state, generator.get_state()):
            replay = torch.Generator()
            replay.set_state(state)
            drawn = torch.randn(model_output.shape, generator=replay, dtype=torch.float32)
            assert torch.equal(replay.get_state(), generator.get_state()), "one float32 draw per step expected"
            noise.append(tensor_json(drawn))
        if not torch.isfinite(prev).all():
            raise ValueError(name + ": non-finite prev_sample at step " + str(i))
        recorded.append({"i": i, "timestep": {"dtype": "int64", "value": int(t)},
                         "model_output": tensor_json(model_output), "prev_sample": tensor_json(prev),
                         "step_index_after": scheduler.step_index, "noise": noise})
        sample = prev
    run["steps"] = recorded
    if notes:
        run["notes"] = notes
    return run


def make_add_noise(Dpm, name, config, steps, index, dtype, noise_dtype=None, begin_index=None, batch=1, seed=0,
                   shape=(4, 8)):
    scheduler = Dpm.from_config(config)
    scheduler.set_timesteps(steps)
    if begin_index is not None:
        scheduler.set_begin_index(begin_index)
    g = torch.Generator().manual_seed(seed)
    full = (batch,) + tuple(shape)
    sample = torch.randn(full, generator=g).to(DTYPES[dtype])
    noise = torch.randn(full, generator=g).to(DTYPES[noise_dtype or dtype])
    timestep = scheduler.timesteps[index:index + 1].repeat(batch)
    expected = scheduler.add_noise(original_samples=sample, noise=noise, timesteps=timestep)
    return {"name": name, "scheduler": "DPMSolverMultistepScheduler", "config": config,
            "set_timesteps": {"num_inference_steps": steps, "sigmas": None, "mu": None, "timesteps": None},
            "begin_index": begin_index, "index": index, "method": "add_noise",
            "call": "add_noise(original_samples=sample, noise=noise, timesteps=timestep)",
            "sigmas": float32_json(scheduler.sigmas), "timesteps": int64_json(scheduler.timesteps),
            "timestep": int64_json(timestep), "sample": tensor_json(sample), "noise": tensor_json(noise),
            "expected": tensor_json(expected), "step_index_after": scheduler.step_index}


def runs(Dpm):
    out = []
    # Every solver variant at several orders, step counts and shifts (lower_order_final applies below 15 steps).
    variants = [
        ("dpmsolver++", "midpoint"), ("dpmsolver++", "heun"), ("sde-dpmsolver++", "midpoint"),
        ("sde-dpmsolver++", "heun")]
    cases = [(3, 1, 2.5, True, False, "zero", (1, 3, 5)), (5, 2, 0.5, False, False, "sigma_min", (2, 4, 3)),
             (14, 3, 7.0, True, False, "zero", (1, 4, 16)), (15, 3, 1.0, True, False, "sigma_min", (1, 2, 9)),
             (16, 2, 4.0, False, True, "zero", (1, 4, 16)), (6, 3, 3.0, False, True, "sigma_min", (1, 16, 8)),
             (25, 2, 6.0, True, False, "sigma_min", (1, 2, 8)), (9, 3, 1.5, True, True, "zero", (3, 7))]
    seed = 100
    for algorithm, solver in variants:
        for steps, order, shift, lof, eaf, final, shape in cases:
            seed += 1
            sde = algorithm.startswith("sde")
            config = flow_config(flow_shift=shift, algorithm_type=algorithm, solver_type=solver, solver_order=order,
                                 lower_order_final=lof, euler_at_final=eaf, final_sigmas_type=final)
            name = ("ref %s %s order=%d steps=%d flow_shift=%s lower_order_final=%s euler_at_final=%s final=%s"
                    " shape=%s" % (algorithm, solver, order, steps, shift, lof, eaf, final, "x".join(map(str, shape))))
            out.append(make_run(Dpm, name, config, steps, shape=shape, seed=seed,
                                generator_seed=(seed * 7919) if sde else None))
    # bfloat16, mixed (bf16 model output, float32 sample) and float16 runs of every order.
    for dtype in ("bfloat16", "mixed", "float16"):
        for algorithm in ("dpmsolver++", "sde-dpmsolver++"):
            for order, solver in ((1, "midpoint"), (2, "heun"), (3, "midpoint")):
                seed += 1
                config = flow_config(flow_shift=3.0, algorithm_type=algorithm, solver_order=order,
                                     solver_type=solver)
                out.append(make_run(Dpm, "ref %s %s order=%d %s steps=10 %s" % (algorithm, solver, order, solver,
                                                                            dtype),
                                    config, 10, dtype=dtype, shape=(1, 8, 6), seed=seed,
                                    generator_seed=seed if algorithm.startswith("sde") else None))
    # Larger tensors (float32 noise of >= 16 elements takes torch's vectorised randn path).
    out.append(make_run(Dpm, "ref sde-dpmsolver++ order=2 steps=10 shape=1x32x32", flow_config(
        flow_shift=3.0, algorithm_type="sde-dpmsolver++"), 10, shape=(1, 32, 32), seed=7, generator_seed=2024))
    out.append(make_run(Dpm, "ref dpmsolver++ order=3 steps=30 shape=2x16x16 bfloat16", flow_config(
        flow_shift=5.0, solver_order=3), 30, dtype="bfloat16", shape=(2, 16, 16), seed=8))
    # Dynamic shifting: mu sets flow_shift = np.exp(mu).
    for mu, algorithm, order in ((0.35, "dpmsolver++", 2), (2.2, "sde-dpmsolver++", 3), (-0.4, "dpmsolver++", 3)):
        seed += 1
        out.append(make_run(Dpm, "ref %s order=%d use_dynamic_shifting mu=%s steps=11" % (algorithm, order, mu),
                            flow_config(use_dynamic_shifting=True, algorithm_type=algorithm, solver_order=order,
                                        flow_shift=9.0), 11, mu=mu, shape=(1, 5, 6), seed=seed,
                            generator_seed=seed if algorithm.startswith("sde") else None))
    # Other num_train_timesteps and beta schedules (the sigma_min final sigma comes from the DDPM arrays).
    for keys in ({"num_train_timesteps": 500, "beta_schedule": "scaled_linear", "beta_start": 0.00085,
                  "beta_end": 0.012},
                 {"num_train_timesteps": 1000, "beta_schedule": "squaredcos_cap_v2"},
                 {"num_train_timesteps": 250, "beta_start": 0.003, "beta_end": 0.03, "solver_order": 3}):
        seed += 1
        config = flow_config(flow_shift=2.0, final_sigmas_type="sigma_min", **keys)
        out.append(make_run(Dpm, "ref dpmsolver++ %s steps=7" % ", ".join("%s=%s" % kv for kv in keys.items()),
                            config, 7, shape=(1, 6, 5), seed=seed))
    # diffusers' aliases: deis is dpmsolver++ (only with sigma_min), bh2 is midpoint.
    out.append(make_run(Dpm, "ref algorithm_type=deis solver_type=bh2 final=sigma_min steps=6", flow_config(
        flow_shift=3.0, algorithm_type="deis", solver_type="bh2", final_sigmas_type="sigma_min"), 6, seed=31))
    # A shift so large that the first sigma is 1.0 in float32 (lambda = -inf at the first step; finite result).
    # Its first two timesteps are both 999, so without a begin index diffusers would start at index 1.
    for algorithm in ("dpmsolver++", "sde-dpmsolver++"):
        out.append(make_run(Dpm, "ref %s order=3 flow_shift=1e5 steps=8 begin_index=0 (sigma[0] == 1)" % algorithm,
                            flow_config(flow_shift=1e5, solver_order=3, algorithm_type=algorithm), 8, seed=32,
                            begin_index=0, generator_seed=5 if algorithm.startswith("sde") else None))
    # Starts mid-schedule: img2img with a begin index, and without one (index_for_timestep).
    out.append(make_run(Dpm, "ref img2img order=3 steps=12 begin_index=5", flow_config(flow_shift=3.0, solver_order=3),
                        12, begin_index=5, start_index=5, seed=33))
    out.append(make_run(Dpm, "ref sde img2img order=2 steps=9 begin_index=2 bfloat16", flow_config(
        flow_shift=3.0, algorithm_type="sde-dpmsolver++"), 9, dtype="bfloat16", begin_index=2, start_index=2,
        seed=34, generator_seed=34))
    out.append(make_run(Dpm, "ref mid-schedule start without begin_index order=3 steps=10 start=4", flow_config(
        flow_shift=2.0, solver_order=3), 10, start_index=4, seed=35))
    # More steps than num_train_timesteps: repeated int64 timesteps; a start at a repeated one takes its second index.
    big = make_run(Dpm, "ref order=2 steps=40 num_train_timesteps=20 start at a repeated timestep", flow_config(
        num_train_timesteps=20, flow_shift=1.0), 40, start_index=0, seed=36, shape=(1, 2, 3))
    ts = big["timesteps"]["values"]
    repeated = next(k for k in range(1, len(ts)) if ts[k] == ts[k - 1])
    out.append(big)
    out.append(make_run(Dpm, "ref order=2 steps=40 num_train_timesteps=20 start without begin_index at timestep %d"
                        % ts[repeated - 1], flow_config(num_train_timesteps=20, flow_shift=1.0), 40,
                        start_index=repeated, seed=37, shape=(1, 2, 3),
                        notes=["timesteps[%d] == timesteps[%d]: index_for_timestep returns %d"
                               % (repeated - 1, repeated, repeated)]))
    return out


def add_noise_cases(Dpm):
    out = []
    for dtype, noise_dtype, index, begin, batch, shift in (
            ("float32", None, 0, None, 2, 3.0), ("float32", None, 7, None, 1, 1.0), ("bfloat16", None, 3, None, 2, 5.0),
            ("bfloat16", "float32", 5, None, 1, 3.0), ("float32", "bfloat16", 2, 2, 3, 3.0),
            ("float16", None, 6, 6, 1, 2.0), ("bfloat16", None, 4, 1, 1, 3.0)):
        name = "ref add_noise index=%d begin_index=%s %s noise %s batch=%d flow_shift=%s" % (
            index, begin, dtype, noise_dtype or dtype, batch, shift)
        out.append(make_add_noise(Dpm, name, flow_config(flow_shift=shift), 9, index, dtype, noise_dtype, begin,
                                  batch, seed=index + 50))
    return out


def schedule_sequences(Dpm):
    """Successive set_timesteps calls on one scheduler: mu overwrites config.flow_shift for later calls."""
    sequences = []
    plans = [
        (flow_config(use_dynamic_shifting=True, flow_shift=3.0), [(8, None), (8, 1.15), (8, None), (5, 0.5), (6, None)]),
        (flow_config(use_dynamic_shifting=True, final_sigmas_type="sigma_min"), [(4, None), (12, 2.0), (3, None)]),
        (flow_config(flow_shift=2.0, num_train_timesteps=100), [(7, None), (150, None), (1, None)]),
    ]
    for config, calls in plans:
        scheduler = Dpm.from_config(config)
        entries = []
        for steps, mu in calls:
            scheduler.set_timesteps(num_inference_steps=steps, mu=mu)
            entries.append({"num_inference_steps": steps, "mu": mu, "flow_shift": float(scheduler.config.flow_shift),
                            "sigmas": float32_json(scheduler.sigmas), "timesteps": int64_json(scheduler.timesteps)})
        sequences.append({"config": config, "calls": entries})
    return sequences


def final_sigmas(Dpm):
    """The sigma_min final sigma for each beta schedule (the constructor's alphas_cumprod[0])."""
    out = []
    for keys in ({}, {"beta_start": 0.00085}, {"beta_start": 0.0123456, "beta_end": 0.5},
                 {"beta_schedule": "scaled_linear", "beta_start": 0.00085, "beta_end": 0.012},
                 {"beta_schedule": "scaled_linear", "beta_start": 0.0001234},
                 {"beta_schedule": "squaredcos_cap_v2"}, {"beta_schedule": "squaredcos_cap_v2",
                                                          "num_train_timesteps": 37},
                 {"trained_betas": [0.00037 + 0.0001 * k for k in range(1000)]}):
        config = flow_config(final_sigmas_type="sigma_min", **keys)
        scheduler = Dpm.from_config(config)
        scheduler.set_timesteps(3)
        out.append({"config": config, "final_sigma_bits": int(scheduler.sigmas[-1:].numpy().view(np.int32)[0])})
    return out


def numpy_exp():
    """np.exp on float64 mu values: numpy 1.24 on an AVX-512 CPU (SVML's __svml_exp8)."""
    rng = np.random.default_rng(12)
    xs = [0.0, 1.15, 0.5, -0.5, 2.0, 3.0, 1e-17, -1e-17, 700.0, -700.0]
    xs += [float(v) for v in rng.uniform(-4, 4, 400)] + [float(v) for v in rng.uniform(-700, 700, 100)]
    return [{"x": x.hex(), "exp": float(np.exp(x)).hex()} for x in xs]


def probe(Dpm, name, config, steps=8, mu=None, timesteps=None):
    """A config or call diffusers raises on, or whose first step returns non-finite values."""
    try:
        scheduler = Dpm.from_config(config)
        scheduler.set_timesteps(num_inference_steps=steps, mu=mu, timesteps=timesteps)
        sample = torch.randn((1, 4, 4), generator=torch.Generator().manual_seed(1))
        generator = torch.Generator().manual_seed(2)
        for i, t in enumerate(scheduler.timesteps):
            prev = scheduler.step(0.5 * sample, t, sample, generator=generator, return_dict=False)[0]
            if not torch.isfinite(prev).all():
                return {"name": name, "config": config, "num_inference_steps": steps, "mu": mu,
                        "timesteps": timesteps, "reason": "step %d: non-finite prev_sample" % i}
            sample = prev
    except Exception as e:  # noqa: BLE001 - the probe records what diffusers raised
        return {"name": name, "config": config, "num_inference_steps": steps, "mu": mu, "timesteps": timesteps,
                "reason": "%s: %s" % (type(e).__name__, e)}
    raise AssertionError(name + ": diffusers accepted it")


def excluded(Dpm):
    return [
        probe(Dpm, "flow_shift 1e8: every sigma but the last is 1.0 in float32", flow_config(flow_shift=1e8)),
        probe(Dpm, "mu=20 with dynamic shifting: exp(mu) makes the sigmas 1.0", flow_config(use_dynamic_shifting=True),
              mu=20.0),
        probe(Dpm, "sde-dpmsolver++ with sigma_min above the last flow sigma (flow_shift 0.2, 21 steps)", flow_config(
            flow_shift=0.2, algorithm_type="sde-dpmsolver++", final_sigmas_type="sigma_min"), steps=21),
        probe(Dpm, "deis with final_sigmas_type zero", flow_config(algorithm_type="deis")),
        probe(Dpm, "time_shift_type linear with mu", flow_config(use_dynamic_shifting=True, time_shift_type="linear"),
              mu=0.7),
        probe(Dpm, "custom timesteps", flow_config(flow_shift=3.0), steps=None, timesteps=[900, 600, 300]),
        probe(Dpm, "use_lu_lambdas", flow_config(flow_shift=3.0, use_lu_lambdas=True)),
        probe(Dpm, "final_sigmas_type bogus", flow_config(final_sigmas_type="bogus")),
        probe(Dpm, "timestep_spacing bogus", flow_config(timestep_spacing="bogus")),
        probe(Dpm, "algorithm_type bogus", flow_config(algorithm_type="bogus")),
        probe(Dpm, "solver_type bogus", flow_config(solver_type="bogus")),
        probe(Dpm, "beta_schedule bogus", flow_config(beta_schedule="bogus")),
        probe(Dpm, "num_train_timesteps 1", flow_config(num_train_timesteps=1)),
        probe(Dpm, "flow_shift 0", flow_config(flow_shift=0.0)),
        probe(Dpm, "flow_shift -2", flow_config(flow_shift=-2.0)),
    ]


def environment():
    return {"torch_cpu_capability": os.environ.get("ATEN_CPU_CAPABILITY"), "torch_num_threads":
            torch.get_num_threads(), "torch": torch.__version__, "numpy": np.__version__}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--diffusers-src", required=True, help="the src/ directory of diffusers v0.40.0")
    parser.add_argument("--out-runs", required=True)
    parser.add_argument("--out-schedules", required=True)
    args = parser.parse_args()
    Dpm = import_dpm(args.diffusers_src)
    source = ("diffusers v0.40.0 scheduling_dpmsolver_multistep.py executed unmodified by "
              "tools/reference/dpm_solver_reference.py; torch %s, numpy %s" % (torch.__version__, np.__version__))
    with open(args.out_runs, "w") as f:
        json.dump({"source": source, "environment": environment(),
                   "schema": "as sampler-goldens.json (sampler_runs[], scale_noise[]); all runs are "
                             "DPMSolverMultistepScheduler in flow mode; model outputs are synthetic velocities",
                   "sampler_runs": runs(Dpm), "scale_noise": add_noise_cases(Dpm)}, f, separators=(",", ":"))
    with open(args.out_schedules, "w") as f:
        json.dump({"source": source, "environment": environment(),
                   "schema": {
                       "schedule_sequences[]": "one scheduler from config, set_timesteps called with each of calls[] "
                                               "in order; after each: config.flow_shift, sigmas, timesteps",
                       "final_sigmas[]": "final_sigmas_type sigma_min: the last sigma (float32 bits) per config",
                       "numpy_exp[]": "np.exp(x) for float64 x, both as float.hex()",
                       "excluded[]": "configs/calls diffusers raises on, or whose steps return non-finite values"},
                   "schedule_sequences": schedule_sequences(Dpm), "final_sigmas": final_sigmas(Dpm),
                   "numpy_exp": numpy_exp(), "excluded": excluded(Dpm)}, f, indent=1)


if __name__ == "__main__":
    main()
