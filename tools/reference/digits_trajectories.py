#!/usr/bin/python3
"""Reference trajectories of flowmatch's example model under torch and diffusers v0.40.0's own schedulers.

    /usr/bin/python3 tools/reference/digits_trajectories.py [--diffusers-repo PATH]    # from the repository root

Runs the committed TorchScript model (examples/src/main/resources/dev/flowmatch/examples/digits/digits.pt, loaded
with torch.jit.load) in the denoising loop of diffusers' flow pipelines (FLUX.2 style), with classifier-free
guidance as those pipelines compute it, and writes every step to
examples/src/test/resources/golden/digits-trajectories.json. flowmatch never produced any number in that file.

The loop, per run (diffusers' pipeline_flux2_klein.py, with the conditional and unconditional predictions as one
batched call):
    generator = torch.Generator().manual_seed(seed)
    latents = torch.randn(shape, generator=generator, dtype=float32)                         # CPU generator
    scheduler = SchedulerClass.from_config(config); scheduler.set_timesteps(**call); scheduler.set_begin_index(0)
    for t in scheduler.timesteps:
        timestep = t.expand(2B).to(latents.dtype)
        out = model(cat([latents, latents]), timestep / 1000, cat([labels, null_label * ones(B)]))
        cond, uncond = out.chunk(2)
        noise_pred = uncond + guidance_scale * (cond - uncond)
        latents = scheduler.step(noise_pred, t, latents, return_dict=False)[0]   # stochastic classes: generator=generator

diffusers is not installed here and no diffusers code is committed: the script extracts the v0.40.0 source tree
with `git archive` into a temporary directory, and stubs there the third-party modules the scheduler modules
import but never use (huggingface_hub, tqdm, filelock, regex, safetensors, importlib_metadata; torch 1.13 lacks
torch.xpu / torch.mps, which diffusers' torch_utils only references). The scheduler modules run unmodified.

Add a run: append to RUNS (any diffusers scheduler class whose step takes (model_output, timestep, sample)); a class
that draws noise in its step goes into STOCHASTIC too.
"""
import argparse
import hashlib
import importlib.abc
import importlib.machinery
import json
import os
import platform
import subprocess
import sys
import tempfile
import types

import numpy as np
import torch

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MODEL_DIR = os.path.join(ROOT, "examples", "src", "main", "resources", "dev", "flowmatch", "examples", "digits")
OUT = os.path.join(ROOT, "examples", "src", "test", "resources", "golden", "digits-trajectories.json")
DIFFUSERS_TAG = "v0.40.0"

LABELS = [2, 7]          # one sample of each: the batch B = 2, the model batch 2B = 4 when guiding
SEED = 42
GUIDANCE = 3.0

# name, class, config (a scheduler_config.json object), set_timesteps keyword arguments
RUNS = [
    ("euler", "FlowMatchEulerDiscreteScheduler",
     {"num_train_timesteps": 1000, "shift": 1.0, "use_dynamic_shifting": False},
     {"sigmas": ("linspace", 1.0, 1.0 / 10, 10)}),                       # the FLUX pipelines pass linspace(1, 1/N, N)
    ("heun", "FlowMatchHeunDiscreteScheduler",
     {"num_train_timesteps": 1000, "shift": 1.0},
     {"num_inference_steps": 6}),
    ("dpmpp-2m", "DPMSolverMultistepScheduler",
     {"num_train_timesteps": 1000, "use_flow_sigmas": True, "prediction_type": "flow_prediction", "flow_shift": 1.0,
      "solver_order": 2, "algorithm_type": "dpmsolver++"},
     {"num_inference_steps": 10}),
    ("unipc", "UniPCMultistepScheduler",
     {"num_train_timesteps": 1000, "use_flow_sigmas": True, "prediction_type": "flow_prediction", "flow_shift": 1.0,
      "solver_order": 2, "predict_x0": True},
     {"num_inference_steps": 10}),
    # Stochastic: the generator that drew the initial latents is passed to every step and continues (as diffusers'
    # DDPM / consistency-model pipelines pass theirs).
    ("lcm", "FlowMatchLCMScheduler",
     {"num_train_timesteps": 1000, "shift": 1.0, "use_dynamic_shifting": False},
     {"sigmas": ("linspace", 1.0, 1.0 / 4, 4)}),
    # ComfyUI-style explicit sigmas with the terminal 0 (what this class asks for): FlowMatchEuler's sigmas for the
    # pipelines' linspace(1, 1/N, N) call, N + 1 values; the loop's last model call is at sigma 0 (t = 0).
    ("euler-ancestral-rf", "LTXEulerAncestralRFScheduler",
     {"num_train_timesteps": 1000, "eta": 1.0, "s_noise": 1.0, "shift": 1.0, "use_dynamic_shifting": False},
     {"sigmas": ("flow_match_euler_sigmas", 1.0, 1.0 / 6, 6)}),
]

STOCHASTIC = {"FlowMatchLCMScheduler", "LTXEulerAncestralRFScheduler"}

MODULES = {
    "FlowMatchEulerDiscreteScheduler": "scheduling_flow_match_euler_discrete",
    "FlowMatchHeunDiscreteScheduler": "scheduling_flow_match_heun_discrete",
    "DPMSolverMultistepScheduler": "scheduling_dpmsolver_multistep",
    "UniPCMultistepScheduler": "scheduling_unipc_multistep",
    "FlowMatchLCMScheduler": "scheduling_flow_match_lcm",
    "LTXEulerAncestralRFScheduler": "scheduling_ltx_euler_ancestral_rf",
}


# ---- diffusers v0.40.0 from the source tree, third-party imports stubbed ------------------------------------------

class _Unused:
    """Stands in for anything the stubbed modules export; fails loudly if the schedulers ever call into it."""

    def __init__(self, *args, **kwargs):
        pass

    def __call__(self, *args, **kwargs):
        return _Unused()

    def __getattr__(self, name):
        return _Unused()

    def __mro_entries__(self, bases):
        return (object,)


class _StubFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    STUBBED = ("huggingface_hub", "tqdm", "filelock", "regex", "safetensors", "importlib_metadata")

    def find_spec(self, name, path, target=None):
        if name.split(".")[0] in self.STUBBED:
            return importlib.machinery.ModuleSpec(name, self, is_package=True)
        return None

    def create_module(self, spec):
        module = types.ModuleType(spec.name)
        module.__path__ = []
        # Constants (HF_HOME, ...) are upper case paths; everything else is a class or function.
        module.__getattr__ = lambda attr: "/nonexistent" if attr.isupper() else _Unused
        return module

    def exec_module(self, module):
        pass


def import_diffusers(repo, workdir):
    commit = subprocess.check_output(["git", "-C", repo, "rev-parse", DIFFUSERS_TAG + "^{commit}"], text=True).strip()
    source = os.path.join(workdir, "diffusers-src")
    os.makedirs(source)
    archive = subprocess.Popen(["git", "-C", repo, "archive", DIFFUSERS_TAG, "src/diffusers"], stdout=subprocess.PIPE)
    subprocess.check_call(["tar", "-x", "-C", source], stdin=archive.stdout)
    if archive.wait() != 0:
        raise SystemExit("git archive failed")
    # diffusers checks at import that filelock is installed (dependency_versions_check): give it metadata.
    dist = os.path.join(workdir, "stubs", "filelock-3.13.1.dist-info")
    os.makedirs(dist)
    with open(os.path.join(dist, "METADATA"), "w") as f:
        f.write("Metadata-Version: 2.1\nName: filelock\nVersion: 3.13.1\n")
    sys.path[:0] = [os.path.join(workdir, "stubs"), os.path.join(source, "src")]
    sys.meta_path.insert(0, _StubFinder())
    for name in ("xpu", "mps"):
        if not hasattr(torch, name):
            setattr(torch, name, _Unused())
    classes = {}
    for class_name, module in MODULES.items():
        mod = importlib.import_module("diffusers.schedulers." + module)
        classes[class_name] = getattr(mod, class_name)
    return commit, classes


# ---- records ------------------------------------------------------------------------------------------------------

def tensor_record(t):
    t = t.detach().contiguous()
    if t.dtype == torch.float32:
        bits = t.view(torch.int32).flatten().tolist()
    elif t.dtype == torch.int64:
        bits = None
    else:
        raise ValueError(t.dtype)
    record = {"dtype": str(t.dtype).replace("torch.", ""), "shape": list(t.shape)}
    if bits is None:
        record["values"] = t.flatten().tolist()
    else:
        record["bits"] = bits
    return record


def scalar_record(t):
    t = t.detach().reshape(())
    record = {"dtype": str(t.dtype).replace("torch.", ""), "value": t.item()}
    if t.dtype == torch.float32:
        record["bits"] = t.reshape(1).view(torch.int32).item()
    return record


def flow_match_euler_sigmas(classes, config, linspace):
    """FlowMatchEulerDiscreteScheduler.from_config(config).set_timesteps(sigmas=np.linspace(...)).sigmas (N + 1)."""
    euler = classes["FlowMatchEulerDiscreteScheduler"].from_config(config)
    euler.set_timesteps(sigmas=np.linspace(*linspace))
    return euler.sigmas


def set_timesteps_arguments(classes, config, call):
    args = {}
    for key, value in call.items():
        if isinstance(value, tuple) and value[0] == "linspace":
            args[key] = np.linspace(value[1], value[2], value[3])
        elif isinstance(value, tuple) and value[0] == "flow_match_euler_sigmas":
            args[key] = flow_match_euler_sigmas(classes, config, value[1:])
        else:
            args[key] = value
    return args


def json_call(classes, config, call):
    out = {}
    for key, value in call.items():
        if isinstance(value, tuple) and value[0] == "linspace":
            out[key] = {"numpy_linspace": list(value[1:]), "values": np.linspace(*value[1:]).tolist()}
        elif isinstance(value, tuple) and value[0] == "flow_match_euler_sigmas":
            sigmas = flow_match_euler_sigmas(classes, config, value[1:])
            out[key] = {"flow_match_euler_sigmas": {"numpy_linspace": list(value[1:])},
                        "values": sigmas.tolist(), "bits": sigmas.view(torch.int32).tolist()}
        else:
            out[key] = value
    return out


@torch.no_grad()
def run(model, classes, scheduler_class, name, config, call, null_label):
    scheduler = scheduler_class.from_config(config)
    scheduler.set_timesteps(**set_timesteps_arguments(classes, config, call))
    scheduler.set_begin_index(0)
    labels = torch.tensor(LABELS, dtype=torch.int64)
    batch = labels.shape[0]
    model_labels = torch.cat([labels, torch.full((batch,), null_label, dtype=torch.int64)])
    generator = torch.Generator().manual_seed(SEED)
    latents = torch.randn((batch, 1, 16, 16), generator=generator, dtype=torch.float32)
    stochastic = scheduler_class.__name__ in STOCHASTIC
    step_kwargs = {"generator": generator} if stochastic else {}
    record = {
        "name": name,
        "scheduler": scheduler_class.__name__,
        "config": config,
        # (diffusers keeps _use_default_values as a list in set order: sorted, so that reruns give the same file)
        "resolved_config": {k: sorted(v) if k == "_use_default_values" else v for k, v in dict(scheduler.config).items()},
        "set_timesteps": json_call(classes, config, call),
        "begin_index": 0,
        "order": scheduler.order,
        "sigmas": tensor_record(scheduler.sigmas),
        "timesteps": tensor_record(scheduler.timesteps),
        "labels": LABELS,
        "null_label": null_label,
        "guidance_scale": GUIDANCE,
        "seed": SEED,
        "initial_sample": tensor_record(latents),
        "steps": [],
    }
    if stochastic:
        record["step_generator"] = "the generator that drew initial_sample, passed to every step"
    for i, t in enumerate(scheduler.timesteps):
        timestep = t.expand(2 * batch).to(latents.dtype)
        model_t = timestep / 1000
        output = model(torch.cat([latents, latents]), model_t, model_labels)
        cond, uncond = output.chunk(2)
        noise_pred = uncond + GUIDANCE * (cond - uncond)
        latents = scheduler.step(noise_pred, t, latents, return_dict=False, **step_kwargs)[0]
        record["steps"].append({
            "i": i,
            "timestep": scalar_record(t),
            "model_t": scalar_record(model_t[0]),
            "model_output": tensor_record(output),
            "noise_pred": tensor_record(noise_pred),
            "prev_sample": tensor_record(latents),
        })
    return record


def standard_json(value):
    """Non-finite floats (diffusers' lambda_min_clipped = -inf) as strings, so every JSON parser reads the file."""
    if isinstance(value, float) and not np.isfinite(value):
        return "inf" if value > 0 else "-inf" if value < 0 else "nan"  # as sampler-goldens.json writes them
    if isinstance(value, dict):
        return {k: standard_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [standard_json(v) for v in value]
    return value


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("--diffusers-repo", default="/work/.mirror/huggingface+diffusers/repo",
                        help="a git clone of huggingface/diffusers that has the tag " + DIFFUSERS_TAG)
    args = parser.parse_args()
    torch.set_num_threads(1)
    with open(os.path.join(MODEL_DIR, "model.json")) as f:
        meta = json.load(f)
    model_file = os.path.join(MODEL_DIR, meta["files"]["torchscript"])
    model = torch.jit.load(model_file).eval()
    with tempfile.TemporaryDirectory(prefix="diffusers-") as workdir:
        commit, classes = import_diffusers(args.diffusers_repo, workdir)
        runs = [run(model, classes, classes[cls], name, config, call, meta["null_label"])
                for name, cls, config, call in RUNS]
    capability = torch.backends.cpu.get_cpu_capability() if hasattr(torch.backends, "cpu") else None
    document = {
        "source": f"diffusers {DIFFUSERS_TAG} (commit {commit}) scheduler modules executed unmodified; the model "
                  f"{meta['files']['torchscript']} run by torch {torch.__version__} (torch.jit.load, CPU); "
                  "written by tools/reference/digits_trajectories.py",
        "environment": {
            "torch": torch.__version__,
            "numpy": np.__version__,
            "python": platform.python_version(),
            "torch_num_threads": torch.get_num_threads(),
            "ATEN_CPU_CAPABILITY": os.environ.get("ATEN_CPU_CAPABILITY"),
            "torch_cpu_capability": capability or "avx2 (torch.__config__: 'CPU capability usage: AVX2')",
        },
        "model": {"file": os.path.relpath(model_file, ROOT), "sha256": sha256(model_file)},
        "schema": {
            "runs[]": "one denoising loop: the model called on [latents; latents] with [labels; null labels], "
                      "classifier-free guidance uncond + g * (cond - uncond), then the diffusers scheduler's step",
            "runs[].config": "the dict passed to SchedulerClass.from_config",
            "runs[].resolved_config": "scheduler.config after construction (non-finite floats as the strings "
                                      "'inf', '-inf', 'nan')",
            "runs[].set_timesteps": "set_timesteps keyword arguments (sigmas as a float64 numpy linspace: its "
                                    "arguments and values; or flow_match_euler_sigmas: the float32 sigmas, N + 1 "
                                    "with the terminal 0, of FlowMatchEulerDiscreteScheduler.from_config(config)"
                                    ".set_timesteps(sigmas=np.linspace(...)), values and bits); set_begin_index(0) "
                                    "follows, as the FLUX pipelines call it",
            "runs[].step_generator": "present for stochastic schedulers: the generator that drew initial_sample is "
                                     "passed to every step (generator=...), its stream continuing",
            "runs[].sigmas / timesteps": "scheduler.sigmas / scheduler.timesteps after set_timesteps: {dtype, shape, "
                                         "bits} (float32 as signed int32 patterns) or {dtype, shape, values} (int64)",
            "runs[].initial_sample": "torch.randn(shape, generator=torch.Generator().manual_seed(seed)), float32",
            "runs[].steps[].timestep": "scheduler.timesteps[i] passed to step: {dtype, value, bits (float32 only)}",
            "runs[].steps[].model_t": "the model's t input, timestep.to(float32) / 1000 (the same for every row)",
            "runs[].steps[].model_output": "the model's output for [latents; latents] (rows 0..B-1 conditional, "
                                           "B..2B-1 with the null label)",
            "runs[].steps[].noise_pred": "uncond + guidance_scale * (cond - uncond), torch float32 eager",
            "runs[].steps[].prev_sample": "scheduler.step(noise_pred, timestep, latents)[0]: the next latents",
        },
        "runs": runs,
    }
    with open(OUT, "w") as f:
        json.dump(standard_json(document), f, separators=(",", ":"), allow_nan=False)
        f.write("\n")
    print(f"wrote {os.path.relpath(OUT, ROOT)}: " + ", ".join(f"{r['name']} ({len(r['steps'])} calls)" for r in runs))


if __name__ == "__main__":
    main()
