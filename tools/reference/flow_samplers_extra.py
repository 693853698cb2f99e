#!/usr/bin/env python3
"""Extra reference runs for flowmatch's FlowMatchHeun, FlowMatchLCM and LTXEulerAncestralRF schedulers.

Source of the numbers: diffusers v0.40.0's own scheduler modules, executed unmodified under Debian's
python3-torch 1.13 (CPU, one thread, the avx2 kernel), numpy 1.24, scipy 1.10. The runs use configs, step counts,
seeds, shapes, dtypes and start indices that the shared sampler-goldens.json does not, in the same schema, so
flowmatch is checked against the reference's rules and not only against the cases it was written against.

Usage (nothing of diffusers is committed; extract it to a scratch directory first):

    git -C <diffusers clone> archive v0.40.0 src/diffusers | tar -x -C /tmp/diffusers-040
    /usr/bin/python3 tools/reference/flow_samplers_extra.py --diffusers-src /tmp/diffusers-040/src \
        --out core/src/test/resources/golden/sampler-goldens-extra.json

diffusers imports third-party packages its scheduler modules never use (huggingface_hub, safetensors, ...) and
names torch device back-ends torch 1.13 lacks; this script makes those importable as empty stand-ins. The
scheduler arithmetic runs as shipped. randn_tensor is wrapped only to record what it drew.
"""
import argparse
import importlib.abc
import importlib.machinery
import json
import sys
import types

STUBBED = {"huggingface_hub", "safetensors", "requests", "filelock", "regex", "PIL", "importlib_metadata", "yaml",
           "tqdm", "httpx"}


class _Stub(types.ModuleType):
    """A module where every attribute exists: constants are strings, classes empty types, functions no-ops."""
    __path__ = []

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        if name.isupper():
            value = "/tmp/stub-" + name.lower()
        elif name[:1].isupper():
            value = type(name, (object,), {"__init__": lambda self, *a, **k: None})
        else:
            value = lambda *a, **k: None  # noqa: E731
        setattr(self, name, value)
        return value


class _StubFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, fullname, path, target=None):
        if fullname.split(".")[0] in STUBBED:
            return importlib.machinery.ModuleSpec(fullname, self, is_package=True)
        return None

    def create_module(self, spec):
        module = _Stub(spec.name)
        module.__version__ = "0.0"
        return module

    def exec_module(self, module):
        pass


def install_stand_ins():
    sys.meta_path.insert(0, _StubFinder())
    check = types.ModuleType("diffusers.dependency_versions_check")
    check.dep_version_check = lambda *a, **k: None
    sys.modules["diffusers.dependency_versions_check"] = check
    import torch

    class _Backend(types.SimpleNamespace):
        def __getattr__(self, name):
            return lambda *a, **k: None

    for name in ("xpu", "mps", "mtia", "accelerator"):
        if not hasattr(torch, name):
            setattr(torch, name, _Backend())


def tensor_json(t):
    import torch
    t = t.detach().contiguous()
    if t.dtype == torch.float32:
        bits = t.view(torch.int32).reshape(-1).tolist()
    else:
        bits = [b & 0xFFFF for b in t.view(torch.int16).reshape(-1).tolist()]
    return {"dtype": str(t.dtype).replace("torch.", ""), "shape": list(t.shape), "bits": bits}


def schedule_json(t):
    import torch
    out = {"dtype": str(t.dtype).replace("torch.", ""), "shape": list(t.shape), "values": t.tolist()}
    if t.dtype == torch.float32:
        out["bits"] = t.view(torch.int32).tolist()
    return out


DTYPES = {
    "float32": ("float32", "float32"),
    "bfloat16": ("bfloat16", "bfloat16"),
    "float16": ("float16", "float16"),
    "mixed": ("bfloat16", "float32"),  # model output bf16, sample float32 (Wan pipelines)
}


def run_case(case, classes, recorder):
    import torch
    cls = classes[case["scheduler"]]
    scheduler = cls.from_config(case["config"])
    call = case["set_timesteps"]
    kwargs = {k: v for k, v in call.items() if v is not None}
    scheduler.set_timesteps(**kwargs)
    model_dtype, sample_dtype = (getattr(torch, d) for d in DTYPES[case["dtype"]])
    shape = case["shape"]
    seed = case["seed"]
    start = case.get("start_index", 0)
    begin = case.get("begin_index")
    data = torch.Generator().manual_seed(seed + 1000)
    target = (torch.randn(shape, generator=data) * 0.5).float()
    x0 = torch.randn(shape, generator=data).float()
    noise0 = torch.randn(shape, generator=data).float()
    record = {
        "name": case["name"], "scheduler": case["scheduler"], "config": case["config"],
        "resolved_config": {k: v for k, v in dict(scheduler.config).items() if k != "_use_default_values"},
        "set_timesteps": {k: call.get(k) for k in ("num_inference_steps", "sigmas", "mu", "timesteps")},
        "begin_index": begin, "start_index": start, "order": scheduler.order,
        "init_noise_sigma": getattr(scheduler, "init_noise_sigma", None),
        "num_inference_steps": scheduler.num_inference_steps,
        "sigmas": schedule_json(scheduler.sigmas), "timesteps": schedule_json(scheduler.timesteps),
        "dtype": case["dtype"], "model_output_dtype": str(model_dtype).replace("torch.", ""),
        "sample_dtype": str(sample_dtype).replace("torch.", ""),
        "generator_seed": case.get("generator_seed"), "step_kwargs": case.get("step_kwargs", {}),
    }
    if begin is not None:
        scheduler.set_begin_index(begin)
    if start > 0 and case.get("img2img"):
        t = scheduler.timesteps[start]
        if case["scheduler"] == "FlowMatchLCMScheduler":
            t = scheduler.timesteps[start:start + 1].repeat(shape[0])
            record["initial_sample_from"] = "scale_noise(x0, timesteps[start_index:start_index+1].repeat(B), noise)"
        else:
            record["initial_sample_from"] = "scale_noise(x0, timesteps[start_index], noise)"
        sample = scheduler.scale_noise(x0.to(sample_dtype), t, noise0.to(sample_dtype))
    else:
        sample = noise0.to(sample_dtype)
    record["initial_sample"] = tensor_json(sample)
    generator = None if case.get("generator_seed") is None else torch.Generator().manual_seed(case["generator_seed"])
    steps = []
    for i in range(start, len(scheduler.timesteps)):
        t = scheduler.timesteps[i]
        # A synthetic velocity of the current sample (the size of the sample may change with LCM scale_factors).
        current = sample.float()
        tgt = target if current.shape == target.shape else torch.nn.functional.interpolate(
            target, size=list(current.shape[2:]), mode="nearest")
        model_output = (current * 0.9 - tgt).to(model_dtype)
        recorder.clear()
        prev = scheduler.step(model_output, t, sample, generator=generator, return_dict=False,
                              **case.get("step_kwargs", {}))[0]
        steps.append({
            "i": i, "timestep": {"dtype": "float32", "bits": t.view(torch.int32).item(), "value": t.item()},
            "model_output": tensor_json(model_output), "prev_sample": tensor_json(prev),
            "step_index_after": scheduler.step_index, "noise": [tensor_json(n) for n in recorder],
        })
        if not torch.isfinite(prev.float()).all():
            raise RuntimeError(case["name"] + ": non-finite prev_sample at step " + str(i))
        sample = prev
    record["steps"] = steps
    if "requires" in case:
        record["requires"] = case["requires"]
    return record


def scale_noise_case(case, classes):
    import torch
    cls = classes[case["scheduler"]]
    scheduler = cls.from_config(case["config"])
    scheduler.set_timesteps(case["set_timesteps"]["num_inference_steps"])
    if case.get("begin_index") is not None:
        scheduler.set_begin_index(case["begin_index"])
    data = torch.Generator().manual_seed(case["seed"])
    shape = case["shape"]
    sample = torch.randn(shape, generator=data).to(getattr(torch, case["sample_dtype"]))
    noise = torch.randn(shape, generator=data).to(getattr(torch, case["noise_dtype"]))
    index = case["index"]
    if case["scheduler"] == "FlowMatchHeunDiscreteScheduler":
        timestep = scheduler.timesteps[index]
        t_json = {"dtype": "float32", "shape": [], "bits": [timestep.view(torch.int32).item()]}
    else:
        timestep = scheduler.timesteps[index:index + 1].repeat(shape[0])
        t_json = {"dtype": "float32", "shape": [shape[0]], "bits": timestep.view(torch.int32).tolist()}
    expected = scheduler.scale_noise(sample, timestep, noise)
    return {
        "name": case["name"], "scheduler": case["scheduler"], "config": case["config"],
        "set_timesteps": {"num_inference_steps": case["set_timesteps"]["num_inference_steps"], "sigmas": None,
                          "mu": None, "timesteps": None},
        "begin_index": case.get("begin_index"), "index": index, "method": "scale_noise",
        "call": "scale_noise(sample, timestep, noise)",
        "sigmas": schedule_json(scheduler.sigmas), "timesteps": schedule_json(scheduler.timesteps),
        "timestep": t_json, "sample": tensor_json(sample), "noise": tensor_json(noise),
        "expected": tensor_json(expected), "step_index_after": scheduler.step_index,
    }


HEUN = "FlowMatchHeunDiscreteScheduler"
LCM = "FlowMatchLCMScheduler"
LTX = "LTXEulerAncestralRFScheduler"


def steps(n, sigmas=None, mu=None, timesteps=None):
    return {"num_inference_steps": n, "sigmas": sigmas, "mu": mu, "timesteps": timesteps}


RUNS = [
    # FlowMatchHeun: shifts, train timesteps, batch 2, float16, churn windows, begin/start indices.
    {"name": "extra Heun shift=2.5 steps=6 batch=2", "scheduler": HEUN, "config": {"_class_name": HEUN, "shift": 2.5},
     "set_timesteps": steps(6), "dtype": "float32", "shape": [2, 3, 8], "seed": 1},
    {"name": "extra Heun num_train_timesteps=500 shift=2 steps=5 float16", "scheduler": HEUN,
     "config": {"_class_name": HEUN, "num_train_timesteps": 500, "shift": 2.0},
     "set_timesteps": steps(5), "dtype": "float16", "shape": [1, 8, 8], "seed": 2},
    {"name": "extra Heun churn window s_tmin=0.3 s_tmax=0.9", "scheduler": HEUN,
     "config": {"_class_name": HEUN, "shift": 3.0}, "set_timesteps": steps(6), "dtype": "float32",
     "shape": [1, 4, 16], "seed": 3, "generator_seed": 7,
     "step_kwargs": {"s_churn": 2.0, "s_tmin": 0.3, "s_tmax": 0.9, "s_noise": 0.7}},
    {"name": "extra Heun churn mixed steps=5", "scheduler": HEUN, "config": {"_class_name": HEUN, "shift": 1.5},
     "set_timesteps": steps(5), "dtype": "mixed", "shape": [1, 16, 8], "seed": 4, "generator_seed": 123,
     "step_kwargs": {"s_churn": 0.5}},
    {"name": "extra Heun churn float16 s_noise=1.3", "scheduler": HEUN, "config": {"_class_name": HEUN, "shift": 3.0},
     "set_timesteps": steps(4), "dtype": "float16", "shape": [1, 4, 16], "seed": 5, "generator_seed": 2**32 + 5,
     "step_kwargs": {"s_churn": 4.0, "s_noise": 1.3}},
    {"name": "extra Heun img2img steps=6 begin_index=4", "scheduler": HEUN,
     "config": {"_class_name": HEUN, "shift": 3.0}, "set_timesteps": steps(6), "dtype": "bfloat16",
     "shape": [1, 4, 16], "seed": 6, "begin_index": 4, "start_index": 4, "img2img": True},
    {"name": "extra Heun begin_index=3 (a second-order index, set explicitly)", "scheduler": HEUN,
     "config": {"_class_name": HEUN, "shift": 3.0}, "set_timesteps": steps(6), "dtype": "float32",
     "shape": [1, 4, 16], "seed": 7, "begin_index": 3, "start_index": 3},
    {"name": "extra Heun mid-schedule start without begin_index at an even index", "scheduler": HEUN,
     "config": {"_class_name": HEUN, "shift": 3.0}, "set_timesteps": steps(6), "dtype": "float32",
     "shape": [1, 4, 16], "seed": 8, "start_index": 4},
    # LTXEulerAncestralRF: explicit sigmas / timesteps, FlowMatchEuler configs, dtypes, starts.
    {"name": "extra LTX explicit sigmas eta=0.7 s_noise=1.2 float16", "scheduler": LTX,
     "config": {"_class_name": LTX, "eta": 0.7, "s_noise": 1.2},
     "set_timesteps": steps(None, sigmas=[1.0, 0.9, 0.72, 0.5, 0.31, 0.12, 0.0]), "dtype": "float16",
     "shape": [1, 8, 8], "seed": 9, "generator_seed": 11},
    {"name": "extra LTX timesteps treated as sigmas", "scheduler": LTX, "config": {"_class_name": LTX},
     "set_timesteps": steps(None, timesteps=[1.0, 0.8, 0.55, 0.25, 0.0]), "dtype": "float32",
     "shape": [2, 4, 8], "seed": 10, "generator_seed": 12},
    {"name": "extra LTX last sigma not zero", "scheduler": LTX, "config": {"_class_name": LTX, "eta": 0.5},
     "set_timesteps": steps(None, sigmas=[1.0, 0.6, 0.3, 0.1]), "dtype": "bfloat16", "shape": [1, 4, 16],
     "seed": 11, "generator_seed": 13},
    {"name": "extra LTX num_train_timesteps=100 mid-schedule start", "scheduler": LTX,
     "config": {"_class_name": LTX, "num_train_timesteps": 100},
     "set_timesteps": steps(None, sigmas=[1.0, 0.85, 0.6, 0.4, 0.2, 0.0]), "dtype": "float32",
     "shape": [1, 4, 16], "seed": 12, "generator_seed": 14, "start_index": 2},
    {"name": "extra LTX from FlowMatchEuler config karras shift=2 steps=6", "scheduler": LTX,
     "config": {"_class_name": "FlowMatchEulerDiscreteScheduler", "shift": 2.0, "use_karras_sigmas": True},
     "set_timesteps": steps(6), "dtype": "mixed", "shape": [1, 16, 8], "seed": 13, "generator_seed": 15},
    {"name": "extra LTX from FlowMatchEuler config dynamic mu=1.3 steps=5", "scheduler": LTX,
     "config": {"_class_name": "FlowMatchEulerDiscreteScheduler", "use_dynamic_shifting": True,
                "shift_terminal": 0.1}, "set_timesteps": steps(5, mu=1.3), "dtype": "float32",
     "shape": [1, 4, 16], "seed": 14, "generator_seed": 16},
    # FlowMatchLCM: schedule paths, dtypes, batch, starts, scale factors.
    {"name": "extra LCM shift=2 steps=6 bfloat16 batch=2", "scheduler": LCM, "config": {"_class_name": LCM, "shift": 2.0},
     "set_timesteps": steps(6), "dtype": "bfloat16", "shape": [2, 4, 8], "seed": 15, "generator_seed": 17},
    {"name": "extra LCM invert_sigmas", "scheduler": LCM,
     "config": {"_class_name": LCM, "shift": 3.0, "invert_sigmas": True}, "set_timesteps": steps(4),
     "dtype": "float32", "shape": [1, 4, 16], "seed": 16, "generator_seed": 18},
    {"name": "extra LCM custom sigmas shift=3", "scheduler": LCM, "config": {"_class_name": LCM, "shift": 3.0},
     "set_timesteps": steps(None, sigmas=[1.0, 0.8, 0.5, 0.2]), "dtype": "float16", "shape": [1, 8, 8],
     "seed": 17, "generator_seed": 19},
    {"name": "extra LCM custom timesteps shift=2 (kept as given)", "scheduler": LCM,
     "config": {"_class_name": LCM, "shift": 2.0},
     "set_timesteps": steps(None, timesteps=[900.0, 700.5, 400.25, 100.0]), "dtype": "float32",
     "shape": [1, 4, 16], "seed": 18, "generator_seed": 20},
    {"name": "extra LCM dynamic linear custom sigmas mu=0.8", "scheduler": LCM,
     "config": {"_class_name": LCM, "use_dynamic_shifting": True, "time_shift_type": "linear"},
     "set_timesteps": steps(None, sigmas=[1.0, 0.7, 0.4, 0.15], mu=0.8), "dtype": "mixed", "shape": [1, 16, 8],
     "seed": 19, "generator_seed": 21},
    {"name": "extra LCM karras shift_terminal=0.05 num_train_timesteps=500", "scheduler": LCM,
     "config": {"_class_name": LCM, "shift": 3.0, "use_karras_sigmas": True, "shift_terminal": 0.05,
                "num_train_timesteps": 500}, "set_timesteps": steps(7), "dtype": "float32", "shape": [1, 4, 16],
     "seed": 20, "generator_seed": 22},
    {"name": "extra LCM img2img steps=6 begin_index=2", "scheduler": LCM, "config": {"_class_name": LCM, "shift": 3.0},
     "set_timesteps": steps(6), "dtype": "bfloat16", "shape": [1, 4, 16], "seed": 21, "generator_seed": 23,
     "begin_index": 2, "start_index": 2, "img2img": True},
    {"name": "extra LCM scale_factors nearest 3-d", "scheduler": LCM,
     "config": {"_class_name": LCM, "shift": 3.0, "scale_factors": [1.5, 2.0], "upscale_mode": "nearest"},
     "set_timesteps": steps(3), "dtype": "float32", "shape": [1, 4, 6], "seed": 22, "generator_seed": 24,
     "requires": ["torch.nn.functional.interpolate(mode='nearest')"]},
    {"name": "extra LCM scale_factors bicubic batch=2", "scheduler": LCM,
     "config": {"_class_name": LCM, "shift": 2.0, "scale_factors": [1.25, 1.75, 2.5], "upscale_mode": "bicubic"},
     "set_timesteps": steps(4), "dtype": "float32", "shape": [2, 3, 5, 4], "seed": 23, "generator_seed": 25,
     "requires": ["torch.nn.functional.interpolate(mode='bicubic')"]},
    {"name": "extra LCM scale_factors bicubic bfloat16", "scheduler": LCM,
     "config": {"_class_name": LCM, "shift": 3.0, "scale_factors": [0.75, 1.5], "upscale_mode": "bicubic"},
     "set_timesteps": steps(3), "dtype": "bfloat16", "shape": [1, 2, 8, 6], "seed": 24, "generator_seed": 26,
     "requires": ["torch.nn.functional.interpolate(mode='bicubic')"]},
]

SCALE_NOISE = [
    {"name": "extra Heun scale_noise index=3 float16", "scheduler": HEUN, "config": {"_class_name": HEUN, "shift": 2.0},
     "set_timesteps": {"num_inference_steps": 6}, "index": 3, "sample_dtype": "float16", "noise_dtype": "float16",
     "shape": [1, 4, 16], "seed": 30},
    {"name": "extra Heun scale_noise begin_index=2 sample float32 noise bfloat16", "scheduler": HEUN,
     "config": {"_class_name": HEUN, "shift": 3.0}, "set_timesteps": {"num_inference_steps": 6}, "begin_index": 2,
     "index": 2, "sample_dtype": "float32", "noise_dtype": "bfloat16", "shape": [1, 4, 16], "seed": 31},
    {"name": "extra LCM scale_noise index=5 bfloat16 batch=2", "scheduler": LCM,
     "config": {"_class_name": LCM, "shift": 2.0}, "set_timesteps": {"num_inference_steps": 8}, "index": 5,
     "sample_dtype": "bfloat16", "noise_dtype": "bfloat16", "shape": [2, 4, 8], "seed": 32},
    {"name": "extra LCM scale_noise begin_index=4 sample bfloat16 noise float32", "scheduler": LCM,
     "config": {"_class_name": LCM, "shift": 3.0}, "set_timesteps": {"num_inference_steps": 8}, "begin_index": 4,
     "index": 4, "sample_dtype": "bfloat16", "noise_dtype": "float32", "shape": [1, 4, 16], "seed": 33},
]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--diffusers-src", required=True, help="the src directory of an extracted diffusers v0.40.0")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    install_stand_ins()
    sys.path.insert(0, args.diffusers_src)
    import numpy
    import scipy
    import torch
    torch.set_num_threads(1)
    import diffusers
    from diffusers.schedulers import scheduling_flow_match_heun_discrete as heun
    from diffusers.schedulers import scheduling_flow_match_lcm as lcm
    from diffusers.schedulers import scheduling_ltx_euler_ancestral_rf as ltx
    drawn = []

    def recording(module):
        original = module.randn_tensor

        def randn_tensor(*a, **k):
            t = original(*a, **k)
            drawn.append(t.clone())
            return t
        module.randn_tensor = randn_tensor

    for module in (heun, lcm, ltx):
        recording(module)
    classes = {HEUN: heun.FlowMatchHeunDiscreteScheduler, LCM: lcm.FlowMatchLCMScheduler,
               LTX: ltx.LTXEulerAncestralRFScheduler}
    # torch 1.13 reports the kernel it dispatches to in its build summary ("CPU capability usage: AVX2").
    capability = [line.split(":")[1].strip().lower() for line in torch.__config__.show().splitlines()
                  if "CPU capability usage" in line][0]
    result = {
        "source": "diffusers v%s scheduler modules executed unmodified by tools/reference/flow_samplers_extra.py; "
                  "torch %s, numpy %s, scipy %s; set: extra" % (diffusers.__version__, torch.__version__,
                                                               numpy.__version__, scipy.__version__),
        "environment": {"torch_cpu_capability": capability, "torch_num_threads": torch.get_num_threads()},
        "schema": "as sampler-goldens.json (see its schema field)",
        "sampler_runs": [run_case(c, classes, drawn) for c in RUNS],
        "scale_noise": [scale_noise_case(c, classes) for c in SCALE_NOISE],
    }
    with open(args.out, "w") as f:
        json.dump(result, f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
