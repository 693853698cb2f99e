#!/usr/bin/python3
"""More reference runs of diffusers v0.40.0's UniPCMultistepScheduler in flow mode, in sampler-goldens.json's schema.

Source of truth: diffusers v0.40.0's own, unmodified src/diffusers/schedulers/scheduling_unipc_multistep.py (and the
configuration_utils / scheduling_utils it imports), run by Debian's python3-torch 1.13 (/usr/bin/python3) on the CPU,
one thread, over Debian's OpenBLAS 0.3.21. Nothing here comes from flowmatch. The third-party packages diffusers
imports at module level but the scheduler never calls (huggingface_hub, PIL, requests, ...) are replaced by empty
stand-ins, and diffusers' package __init__ files and dependency version check are skipped; the scheduler code runs
as published.

    git -C /work/.mirror/huggingface+diffusers/repo archive v0.40.0 src/diffusers | tar -x -C /tmp/diffusers-040
    OPENBLAS_CORETYPE=Zen ATEN_CPU_CAPABILITY=avx2 /usr/bin/python3 tools/reference/unipc_reference_runs.py \
        /tmp/diffusers-040/src main \
        > core/src/test/resources/golden/unipc-reference-runs.json
    OPENBLAS_CORETYPE=Zen ATEN_CPU_CAPABILITY=default /usr/bin/python3 tools/reference/unipc_reference_runs.py \
        /tmp/diffusers-040/src default-kernel > core/src/test/resources/golden/unipc-reference-runs-default-kernel.json

(OPENBLAS_CORETYPE=Zen as sampler-goldens.json was made; the Haswell kernels give the same bits. The CPU that made
these has AVX-512 BW/VL/DQ, so torch sent bfloat16 batched matrix products of more than 4096 products to oneDNN.
The default-kernel runs carry "mkldnn": whether that oneDNN path was on; off stands for a CPU without AVX-512.)

The runs vary what the bundled goldens hold fixed: step counts (1 to 24), orders 1-3 with bh1 and bh2, every
lower_order_final / final_sigmas_type combination diffusers keeps finite, disable_corrector patterns, flow_shift
values, dynamic shifting (exponential and linear) with several mu, custom sigmas (with and without mu), shift_terminal,
Karras sigmas with and without bounds (every beta_schedule, trained_betas, rescale_betas_zero_snr), begin indices and
mid-schedule starts (also onto repeated int64 timesteps), batch 2, float32 / bfloat16 / mixed / float16, seeds and
shapes, including float32 order-3 runs of 200 elements and more (torch's einsum then goes through OpenBLAS sgemm).
The model output is a fixed synthetic velocity of the sample (float64 arithmetic, then cast to the model's dtype).
"""
import importlib.abc
import importlib.machinery
import json
import os
import sys
import types

os.environ.setdefault("OPENBLAS_CORETYPE", "Zen")

import numpy as np  # noqa: E402
import torch  # noqa: E402

torch.set_num_threads(1)


class _StubMeta(type):
    def __getattr__(cls, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return _StubMeta(name, (), {})

    def __call__(cls, *args, **kwargs):
        return cls

    def __iter__(cls):
        return iter(())

    def __or__(cls, other):
        return cls

    def __ror__(cls, other):
        return cls

    def __getitem__(cls, key):
        return cls


class _StubModule(types.ModuleType):
    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        value = "/nonexistent" if name.isupper() else _StubMeta(name, (), {})
        setattr(self, name, value)
        return value


class _StubFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports of these top-level packages get an empty stand-in (diffusers imports them, the scheduler never calls them)."""
    ROOTS = {"huggingface_hub", "requests", "filelock", "safetensors", "PIL", "regex", "httpx", "tqdm"}

    def find_spec(self, name, path, target=None):
        if name.split(".")[0] in self.ROOTS:
            return importlib.machinery.ModuleSpec(name, self, is_package=True)
        return None

    def create_module(self, spec):
        module = _StubModule(spec.name)
        module.__path__ = []
        module.__version__ = "99.0.0"
        return module

    def exec_module(self, module):
        pass


def load_unipc(src):
    sys.meta_path.insert(0, _StubFinder())
    for device in ("xpu", "mps", "npu", "mtia"):  # diffusers' torch_utils names backends torch 1.13 lacks
        if not hasattr(torch, device):
            setattr(torch, device, _StubModule("torch." + device))
    root = os.path.join(src, "diffusers")
    for name, path in (("diffusers", root), ("diffusers.schedulers", os.path.join(root, "schedulers"))):
        package = types.ModuleType(name)
        package.__path__ = [path]
        package.__version__ = "0.40.0"
        sys.modules[name] = package
    check = types.ModuleType("diffusers.dependency_versions_check")
    check.dep_version_check = lambda *args, **kwargs: None
    sys.modules[check.__name__] = check
    remote = types.ModuleType("diffusers.utils.remote_utils")  # imports the image processor (circular here)
    remote.remote_decode = None
    sys.modules[remote.__name__] = remote
    from diffusers.schedulers.scheduling_unipc_multistep import UniPCMultistepScheduler
    return UniPCMultistepScheduler


DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


def tensor_json(t):
    t = t.detach().contiguous()
    if t.dtype == torch.float32:
        bits = t.view(torch.int32).flatten().tolist()
    else:
        bits = (t.view(torch.int16).flatten().to(torch.int32) & 0xFFFF).tolist()
    return {"dtype": str(t.dtype).replace("torch.", ""), "shape": list(t.shape), "bits": bits}


def floats_json(t):
    t = t.detach().to(torch.float32).contiguous()
    return {"dtype": "float32", "shape": list(t.shape), "bits": t.view(torch.int32).flatten().tolist(),
            "values": t.tolist()}


def timesteps_json(t):
    return {"dtype": str(t.dtype).replace("torch.", ""), "shape": list(t.shape), "values": t.tolist()}


def velocity(sample, target, noise, t, dtype):
    """A fixed synthetic velocity: the exact one of a straight path, bent a little by the sample (float64)."""
    x = sample.to(torch.float64)
    s = float(t) / 1000.0
    v = noise.to(torch.float64) - target.to(torch.float64) + 0.25 * torch.sin(3.0 * x) * s - 0.1 * x
    return v.to(dtype)


FLOW = {"_class_name": "UniPCMultistepScheduler", "use_flow_sigmas": True, "prediction_type": "flow_prediction"}


def run_case(cls, name, config, steps=None, sigmas=None, mu=None, shape=(1, 3, 7), dtype="float32", seed=0,
             begin_index=None, start_index=0, img2img=False):
    config = dict(FLOW, **config)
    scheduler = cls.from_config(config)
    kwargs = {}
    if sigmas is not None:
        kwargs["sigmas"] = np.array(sigmas, dtype=np.float64)
    if mu is not None:
        kwargs["mu"] = mu
    scheduler.set_timesteps(steps, **kwargs)
    if begin_index is not None:
        scheduler.set_begin_index(begin_index)
    model_dtype = DTYPES["bfloat16" if dtype == "mixed" else dtype]
    sample_dtype = DTYPES["float32" if dtype == "mixed" else dtype]
    g = torch.Generator().manual_seed(seed)
    noise = torch.randn(shape, generator=g)
    target = torch.randn(shape, generator=g) * 0.5
    timesteps = scheduler.timesteps
    if img2img:
        t0 = timesteps[start_index:start_index + 1].repeat(shape[0])
        sample = scheduler.add_noise(target.to(sample_dtype), noise.to(sample_dtype), t0)
        sample_from = "add_noise(x0, noise, timesteps[start_index:start_index+1].repeat(B))"
    else:
        sample = noise.to(sample_dtype)
        sample_from = None
    run = {
        "name": name, "scheduler": "UniPCMultistepScheduler", "config": config,
        "set_timesteps": {"num_inference_steps": steps, "sigmas": sigmas, "mu": mu, "timesteps": None},
        "begin_index": begin_index, "start_index": start_index, "order": scheduler.order,
        "init_noise_sigma": scheduler.init_noise_sigma, "num_inference_steps": scheduler.num_inference_steps,
        "sigmas": floats_json(scheduler.sigmas), "timesteps": timesteps_json(timesteps), "dtype": dtype,
        "model_output_dtype": str(model_dtype).replace("torch.", ""),
        "sample_dtype": str(sample_dtype).replace("torch.", ""), "generator_seed": None, "step_kwargs": {},
        "initial_sample": tensor_json(sample), "steps": [],
    }
    if sample_from:
        run["initial_sample_from"] = sample_from
    for i in range(start_index, len(timesteps)):
        t = timesteps[i]
        model_output = velocity(sample, target, noise, t, model_dtype)
        prev = scheduler.step(model_output, t, sample, return_dict=False)[0]
        if not torch.isfinite(prev.to(torch.float32)).all():
            raise ValueError(name + ": step " + str(i) + " is not finite")
        run["steps"].append({"i": i, "timestep": {"dtype": "int64", "value": int(t)},
                             "model_output": tensor_json(model_output), "prev_sample": tensor_json(prev),
                             "step_index_after": scheduler.step_index})
        sample = prev
    return run


def add_noise_case(cls, name, config, steps, index, begin_index=None, shape=(1, 3, 7), dtype="float32",
                   noise_dtype=None, seed=0, mu=None, timestep_value=None):
    config = dict(FLOW, **config)
    scheduler = cls.from_config(config)
    scheduler.set_timesteps(steps, **({"mu": mu} if mu is not None else {}))
    if begin_index is not None:
        scheduler.set_begin_index(begin_index)
    g = torch.Generator().manual_seed(seed)
    sample = torch.randn(shape, generator=g).to(DTYPES[dtype])
    noise = torch.randn(shape, generator=g).to(DTYPES[noise_dtype or dtype])
    timestep = scheduler.timesteps[index:index + 1].repeat(shape[0])
    if timestep_value is not None:
        timestep = torch.full((shape[0],), timestep_value, dtype=torch.int64)
    expected = scheduler.add_noise(sample, noise, timestep)
    return {
        "name": name, "scheduler": "UniPCMultistepScheduler", "config": config,
        "set_timesteps": {"num_inference_steps": steps, "sigmas": None, "mu": mu, "timesteps": None},
        "begin_index": begin_index, "index": index, "method": "add_noise",
        "call": "add_noise(original_samples=sample, noise=noise, timesteps=timestep)",
        "sigmas": floats_json(scheduler.sigmas), "timesteps": timesteps_json(scheduler.timesteps),
        "timestep": timesteps_json(timestep), "sample": tensor_json(sample), "noise": tensor_json(noise),
        "expected": tensor_json(expected), "step_index_after": scheduler.step_index,
    }


def main_runs(cls):
    runs = []

    def add(name, config, **kw):
        runs.append(run_case(cls, name, config, **kw))

    seed = 100
    # orders, solver types, lower_order_final, final sigmas, disable_corrector, flow_shift, step counts
    grid = [
        # (order, type, lower_order_final, final, disable_corrector)
        (1, "bh2", True, "zero", []), (1, "bh2", False, "sigma_min", [1, 2]), (1, "bh1", True, "sigma_min", []),
        (2, "bh2", True, "zero", []), (2, "bh2", True, "sigma_min", [0]), (2, "bh2", False, "sigma_min", []),
        (2, "bh1", True, "sigma_min", [1]), (2, "bh1", False, "sigma_min", [0, 3]),
        (3, "bh2", True, "zero", []), (3, "bh2", True, "zero", [2, 4]), (3, "bh2", True, "sigma_min", []),
        (3, "bh1", True, "sigma_min", []), (3, "bh2", False, "sigma_min", None),
    ]
    for order, solver, lof, final, disabled in grid:
        if disabled is None:
            continue  # order 3 without lower_order_final: diffusers returns NaN at the last step
        for steps, shift in ((3, 1.0), (5, 2.5), (11, 7.0), (24, 3.0)):
            seed += 1
            shape = (1, 2, 3) if steps > 20 else (1, 3, 7) if seed % 2 else (2, 4, 5)
            add("UniPC %s order=%d steps=%d flow_shift=%s lower_order_final=%s final=%s disable_corrector=%s"
                % (solver, order, steps, shift, lof, final, disabled),
                {"solver_order": order, "solver_type": solver, "lower_order_final": lof, "final_sigmas_type": final,
                 "disable_corrector": disabled, "flow_shift": shift}, steps=steps, shape=shape, seed=seed)
    # one step, two steps
    for order in (1, 2, 3):
        for steps in (1, 2):
            seed += 1
            add("UniPC bh2 order=%d steps=%d" % (order, steps), {"solver_order": order, "flow_shift": 3.0},
                steps=steps, seed=seed)
    # legacy solver types diffusers maps to bh2
    add("UniPC solver_type=midpoint (bh2) order=2 steps=6", {"solver_type": "midpoint", "flow_shift": 2.0},
        steps=6, seed=201)
    # dynamic shifting
    for shift_type, mus in (("exponential", (0.0, 0.7, 2.3)), ("linear", (0.5, 1.15, 3.0))):
        for mu in mus:
            add("UniPC dynamic %s mu=%s steps=9 order=3" % (shift_type, mu),
                {"use_dynamic_shifting": True, "time_shift_type": shift_type, "solver_order": 3},
                steps=9, mu=mu, seed=int(mu * 10) + 300)
    add("UniPC dynamic shifting ignores flow_shift", {"use_dynamic_shifting": True, "flow_shift": 5.0},
        steps=7, mu=0.9, seed=310)
    add("UniPC mu without dynamic shifting (ignored)", {"flow_shift": 2.0}, steps=7, mu=1.5, seed=311)
    # custom sigmas
    add("UniPC custom sigmas below 1 order=3", {"solver_order": 3, "flow_shift": 1.0},
        sigmas=[0.95, 0.8, 0.62, 0.41, 0.22, 0.09], seed=320)
    add("UniPC custom sigmas flux2 linspace(1, 1/N, N) N=12 + mu", {"use_dynamic_shifting": True},
        sigmas=list(np.linspace(1.0, 1 / 12, 12)), mu=1.4, seed=321)
    add("UniPC custom sigmas + flow_shift=4 sigma_min", {"flow_shift": 4.0, "final_sigmas_type": "sigma_min"},
        sigmas=[1.0, 0.7, 0.45, 0.2], seed=322)
    # shift_terminal
    for st, steps in ((0.05, 6), (0.3, 13)):
        add("UniPC shift_terminal=%s steps=%d order=3" % (st, steps), {"shift_terminal": st, "flow_shift": 3.0,
            "solver_order": 3}, steps=steps, seed=330 + steps)
    add("UniPC shift_terminal=0 (off)", {"shift_terminal": 0.0, "flow_shift": 3.0}, steps=5, seed=335)
    add("UniPC shift_terminal with dynamic mu", {"shift_terminal": 0.1, "use_dynamic_shifting": True},
        steps=8, mu=1.2, seed=336)
    # Karras
    for steps in (3, 10, 25):
        add("UniPC karras default range steps=%d" % steps, {"use_karras_sigmas": True}, steps=steps, seed=340 + steps)
    add("UniPC karras sigma_max=80 sigma_min=0.002 steps=12 order=3",
        {"use_karras_sigmas": True, "sigma_max": 80.0, "sigma_min": 0.002, "solver_order": 3}, steps=12, seed=370)
    add("UniPC karras sigma_min only steps=7", {"use_karras_sigmas": True, "sigma_min": 0.05}, steps=7, seed=371)
    add("UniPC karras scaled_linear steps=9", {"use_karras_sigmas": True, "beta_schedule": "scaled_linear",
        "beta_start": 0.00085, "beta_end": 0.012}, steps=9, seed=372)
    # these two start with repeated timesteps (999, 999, ...): begin index 0, as the pipelines set it
    add("UniPC karras squaredcos_cap_v2 steps=9 begin_index=0", {"use_karras_sigmas": True,
        "beta_schedule": "squaredcos_cap_v2"}, steps=9, begin_index=0, seed=373)
    add("UniPC karras rescale_betas_zero_snr steps=9 begin_index=0", {"use_karras_sigmas": True,
        "rescale_betas_zero_snr": True}, steps=9, begin_index=0, seed=374)
    add("UniPC karras trained_betas steps=6", {"use_karras_sigmas": True,
        "trained_betas": [float(b) for b in np.linspace(0.001, 0.03, 40)], "num_train_timesteps": 40},
        steps=6, seed=375)
    add("UniPC karras num_train_timesteps=500 steps=8", {"use_karras_sigmas": True, "num_train_timesteps": 500},
        steps=8, seed=376)
    add("UniPC karras final sigma_min order=2 steps=8", {"use_karras_sigmas": True,
        "final_sigmas_type": "sigma_min"}, steps=8, seed=377)
    add("UniPC karras custom sigmas", {"use_karras_sigmas": True}, sigmas=[0.02, 0.5, 3.0, 14.0], seed=378)
    add("UniPC karras with dynamic shifting (mu unused)", {"use_karras_sigmas": True, "use_dynamic_shifting": True},
        steps=6, mu=1.0, seed=379)
    # starts: begin index (img2img), mid-schedule without begin index, onto a repeated int64 timestep
    for begin in (1, 4, 9):
        add("UniPC img2img steps=10 begin_index=%d order=3" % begin, {"solver_order": 3, "flow_shift": 3.0},
            steps=10, begin_index=begin, start_index=begin, img2img=True, seed=380 + begin)
    add("UniPC mid-schedule start without begin_index start=5", {"flow_shift": 2.0}, steps=9, start_index=5,
        seed=390)
    # timesteps 999, 999, 999, 999, 997, ...: a call with timesteps[2] = 999 finds index 1 (the second occurrence)
    add("UniPC karras squaredcos_cap_v2 steps=9 call at timesteps[2] without begin_index",
        {"use_karras_sigmas": True, "beta_schedule": "squaredcos_cap_v2", "solver_order": 3}, steps=9,
        start_index=2, seed=391)
    # dtypes and shapes
    for dtype in ("bfloat16", "mixed"):
        for order, solver, final in ((1, "bh2", "zero"), (2, "bh1", "sigma_min"), (3, "bh2", "zero")):
            add("UniPC %s order=%d %s steps=7 %s" % (solver, order, final, dtype),
                {"solver_order": order, "solver_type": solver, "final_sigmas_type": final, "flow_shift": 4.0},
                steps=7, dtype=dtype, shape=(2, 5, 9), seed=400 + order)
    add("UniPC bh2 order=3 steps=6 bfloat16 shape=[1, 16, 32] (bmm through torch's bfloat16 gemm)",
        {"solver_order": 3, "flow_shift": 3.0}, steps=6, dtype="bfloat16", shape=(1, 16, 32), seed=410)
    # more than 2 x 2048 products: on a CPU with AVX-512 BW/VL/DQ (this one) torch sends the bfloat16 bmm to oneDNN
    add("UniPC bh2 order=3 steps=5 bfloat16 shape=[1, 2050] (bmm through oneDNN)",
        {"solver_order": 3, "flow_shift": 3.0}, steps=5, dtype="bfloat16", shape=(1, 2050), seed=411)
    for order in (1, 2):
        add("UniPC bh2 order=%d steps=7 float16" % order, {"solver_order": order, "flow_shift": 3.0}, steps=7,
            dtype="float16", shape=(1, 4, 9), seed=420 + order)
    # float32, order 3: below 200 elements torch's einsum sums in its own loop, from 200 on (2 x 200 products)
    # through OpenBLAS sgemm, whose kernel fuses the multiply-adds
    for shape, steps, seed in (((1, 1, 199), 6, 430), ((1, 10, 20), 6, 431), ((2, 8, 16), 5, 432),
                               ((1, 16, 64), 6, 433)):
        add("UniPC bh2 order=3 steps=%d shape=%s float32 (%s)" % (steps, list(shape),
            "sgemm" if shape[0] * shape[1] * shape[2] >= 200 else "loop"),
            {"solver_order": 3, "flow_shift": 3.0}, steps=steps, shape=shape, seed=seed)
    add("UniPC bh1 order=3 steps=5 shape=[1, 12, 20] float32 sigma_min (sgemm)",
        {"solver_order": 3, "solver_type": "bh1", "final_sigmas_type": "sigma_min", "flow_shift": 3.0}, steps=5,
        shape=(1, 12, 20), seed=440)
    return runs


def main_add_noise(cls):
    cases = []
    for index, begin, dtype, noise_dtype, shape in ((0, None, "float32", None, (1, 3, 7)),
                                                     (3, None, "float32", None, (2, 3, 7)),
                                                     (6, 6, "bfloat16", None, (2, 4, 5)),
                                                     (2, 2, "float32", None, (1, 4, 5)),
                                                     (4, None, "bfloat16", "float32", (1, 4, 5)),
                                                     (7, None, "float16", None, (1, 4, 5))):
        cases.append(add_noise_case(cls, "UniPC add_noise index=%d begin_index=%s %s noise=%s batch=%d"
                                    % (index, begin, dtype, noise_dtype or dtype, shape[0]),
                                    {"flow_shift": 3.0}, 8, index, begin, shape, dtype, noise_dtype, seed=500 + index))
    cases.append(add_noise_case(cls, "UniPC add_noise karras index=2", {"use_karras_sigmas": True}, 6, 2, seed=510))
    cases.append(add_noise_case(cls, "UniPC add_noise timestep 1 not in the schedule (last index)",
                                {"flow_shift": 3.0}, 5, 4, seed=511, timestep_value=1))
    return cases


def default_kernel_runs(cls):
    runs = []
    for order, solver, final, steps, dtype in ((3, "bh2", "zero", 9, "float32"), (2, "bh1", "sigma_min", 6,
                                                                                  "bfloat16"),
                                               (2, "bh2", "zero", 12, "mixed")):
        runs.append(run_case(cls, "UniPC default kernel %s order=%d %s steps=%d %s" % (solver, order, final, steps,
                                                                                       dtype),
                             {"solver_order": order, "solver_type": solver, "final_sigmas_type": final,
                              "flow_shift": 3.0}, steps=steps, dtype=dtype, seed=600 + steps))
    runs.append(run_case(cls, "UniPC default kernel karras default range steps=10", {"use_karras_sigmas": True},
                         steps=10, seed=620))
    runs.append(run_case(cls, "UniPC default kernel dynamic mu=1.15 order=3", {"use_dynamic_shifting": True,
                         "solver_order": 3}, steps=8, mu=1.15, seed=621))
    for run in runs:
        run["mkldnn"] = True
    # a CPU without AVX-512 BW/VL/DQ does not send bfloat16 bmm to oneDNN: the same as oneDNN switched off
    with torch.backends.mkldnn.flags(enabled=False):
        run = run_case(cls, "UniPC default kernel bh2 order=3 steps=5 bfloat16 shape=[1, 2050] without oneDNN",
                       {"solver_order": 3, "flow_shift": 3.0}, steps=5, dtype="bfloat16", shape=(1, 2050), seed=622)
    run["mkldnn"] = False
    runs.append(run)
    return runs


def main():
    src, which = sys.argv[1], sys.argv[2]
    cls = load_unipc(src)
    capability = torch.backends.cpu.get_cpu_capability() if hasattr(torch.backends, "cpu") else \
        os.environ.get("ATEN_CPU_CAPABILITY", "avx2")
    doc = {
        "source": "tools/reference/unipc_reference_runs.py " + which + ": diffusers v0.40.0's unmodified "
                  "scheduling_unipc_multistep.py, torch " + torch.__version__ + ", numpy " + np.__version__,
        "environment": {"torch_cpu_capability": os.environ.get("ATEN_CPU_CAPABILITY", capability),
                        "ATEN_CPU_CAPABILITY": os.environ.get("ATEN_CPU_CAPABILITY"), "torch_num_threads": 1,
                        "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE")},
        "schema": "as sampler-goldens.json (sampler_runs[], scale_noise[]); steps[] carry no linalg_solve",
    }
    if which == "main":
        doc["sampler_runs"] = main_runs(cls)
        doc["scale_noise"] = main_add_noise(cls)
    else:
        doc["sampler_runs"] = default_kernel_runs(cls)
    json.dump(doc, sys.stdout, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
