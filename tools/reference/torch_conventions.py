#!/usr/bin/python3
"""Reference data for flowmatch's COMFYUI convention, computed by torch 1.13 and ComfyUI's own code.

Run with Debian's python3-torch (1.13) from the repository root:

    /usr/bin/python3 tools/reference/torch_conventions.py

It writes core/src/test/resources/reference/torch-conventions.json. Every number in it is computed by torch
(CPU, both kernels: the script re-runs itself under ATEN_CPU_CAPABILITY=avx2 and =default, which torch reads
at start-up) running the reference code; nothing comes from flowmatch:

- torch_linspace: torch.linspace(start, end, steps) in float32 for many step counts.
- comfyui_flux2_scheduler: ComfyUI's Flux2Scheduler node arithmetic. The node (comfy_extras/nodes_flux.py, in
  ComfyUI forks such as ifilipis/ComfyUI@24ff2f32) computes
  get_schedule(steps, round(width * height / 256)), i.e. generalized_time_snr_shift(torch.linspace(1, 0, N + 1),
  compute_empirical_mu(seq, N), 1.0). generalized_time_snr_shift is the same expression as
  comfy.model_sampling.flux_time_shift(mu, 1.0, t), and compute_empirical_mu the same function as diffusers'
  v0.40.0 pipeline_flux2_klein.compute_empirical_mu; both are loaded from those files in /work/.mirror (not
  re-typed) and called here.
- comfyui_simple_flux: comfy.samplers.simple_scheduler over comfy.model_sampling.ModelSamplingFlux(shift),
  both loaded from the ComfyUI mirror (Comfy-Org/ComfyUI@a125cd84).

The output follows the schema of conventions-goldens.json for the two comfyui sections.
"""
import ast
import json
import os
import subprocess
import sys
import types

COMFY = "/work/.mirror/Comfy-Org+ComfyUI/repo"
COMFY_COMMIT = "a125cd84b054a57729b5eecab930ca9408719832"
DIFFUSERS = "/work/.mirror/huggingface+diffusers/repo"
OUT = "core/src/test/resources/reference/torch-conventions.json"


def git_show(repo, rev, path):
    return subprocess.run(["git", "-C", repo, "show", rev + ":" + path], check=True, capture_output=True,
                          text=True).stdout


def load_functions(source, names, namespace):
    """Executes the top-level definitions `names` of a Python source file in `namespace`."""
    tree = ast.parse(source)
    wanted = [node for node in tree.body if getattr(node, "name", None) in names]
    missing = set(names) - {node.name for node in wanted}
    if missing:
        raise SystemExit("not found in the reference source: " + ", ".join(sorted(missing)))
    exec(compile(ast.Module(body=wanted, type_ignores=[]), "<reference>", "exec"), namespace)
    return namespace


def references():
    import math
    import torch
    ns = {"torch": torch, "math": math}
    load_functions(git_show(COMFY, COMFY_COMMIT, "comfy/model_sampling.py"),
                   ["flux_time_shift", "ModelSamplingFlux"], ns)
    load_functions(git_show(COMFY, COMFY_COMMIT, "comfy/samplers.py"), ["simple_scheduler"], ns)
    load_functions(git_show(DIFFUSERS, "v0.40.0", "src/diffusers/pipelines/flux2/pipeline_flux2_klein.py"),
                   ["compute_empirical_mu"], ns)
    return ns


def bits(tensor):
    import torch
    return tensor.to(torch.float32).contiguous().view(torch.int32).tolist()


LINSPACE_STEPS = list(range(1, 301)) + [320, 383, 384, 385, 511, 512, 513, 1000, 1001, 1025, 4097]
LINSPACE_ENDS = [(1.0, 0.0)] * len(LINSPACE_STEPS) + [(0.0, 1.0)] * 40 + [(-3.5, 2.25)] * 40
LINSPACE_STEPS_ALL = LINSPACE_STEPS + list(range(1, 41)) + list(range(1, 41))

FLUX2_STEPS = list(range(1, 81)) + [100, 128, 200]
FLUX2_SIZES = [(16, 16), (1000, 1000), (768, 1360), (1056, 1024), (200, 328), (1920, 1088), (4096, 4096), (24, 16),
               (40, 16)]
SIMPLE_SHIFTS = [0.5, 1.0, 1.15, 2.0, 3.0, 6.0]
SIMPLE_STEPS = [1, 2, 3, 4, 5, 7, 8, 13, 20, 28, 33, 50, 64, 100, 101, 333, 1000]


def compute(kernel):
    """Everything that depends on the CPU kernel, under the kernel this process runs."""
    import torch
    torch.set_num_threads(1)
    ns = references()
    linspace = [bits(torch.linspace(s, e, n)) for (s, e), n in zip(LINSPACE_ENDS, LINSPACE_STEPS_ALL)]
    flux2 = []
    for steps in FLUX2_STEPS:
        for width, height in FLUX2_SIZES:
            seq = round(width * height / (16 * 16))
            mu = ns["compute_empirical_mu"](seq, steps)
            sigmas = ns["flux_time_shift"](mu, 1.0, torch.linspace(1, 0, steps + 1))
            flux2.append({"seq": seq, "mu": mu, "sigmas": bits(sigmas)})
    simple = []
    for shift in SIMPLE_SHIFTS:
        sampling = ns["ModelSamplingFlux"]()
        sampling.set_parameters(shift=shift)
        for steps in SIMPLE_STEPS:
            simple.append({"table": bits(sampling.sigmas), "sigmas": bits(ns["simple_scheduler"](sampling, steps))})
    return {"torch": torch.__version__, "capability": torch.backends.cpu.get_cpu_capability()
            if hasattr(torch.backends, "cpu") else kernel, "linspace": linspace, "flux2": flux2, "simple": simple}


def run_kernel(kernel):
    env = dict(os.environ, ATEN_CPU_CAPABILITY=kernel)
    out = subprocess.run([sys.executable, __file__, "--kernel", kernel], check=True, capture_output=True, text=True,
                         env=env).stdout
    return json.loads(out)


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--kernel":
        json.dump(compute(sys.argv[2]), sys.stdout)
        return
    avx2 = run_kernel("avx2")
    default = run_kernel("default")
    linspace = []
    for i, ((start, end), steps) in enumerate(zip(LINSPACE_ENDS, LINSPACE_STEPS_ALL)):
        linspace.append({"start": start, "end": end, "steps": steps, "bits_avx2": avx2["linspace"][i],
                         "bits_default": default["linspace"][i]})
    flux2 = []
    i = 0
    for steps in FLUX2_STEPS:
        for width, height in FLUX2_SIZES:
            a, d = avx2["flux2"][i], default["flux2"][i]
            i += 1
            flux2.append({"name": "Flux2Scheduler steps=%d width=%d height=%d" % (steps, width, height),
                          "steps": steps, "width": width, "height": height, "image_seq_len": a["seq"],
                          "mu": a["mu"], "sigmas_bits": a["sigmas"], "sigmas_bits_default_kernel": d["sigmas"],
                          "kernels_agree": a["sigmas"] == d["sigmas"]})
    simple = []
    i = 0
    for shift in SIMPLE_SHIFTS:
        for steps in SIMPLE_STEPS:
            a, d = avx2["simple"][i], default["simple"][i]
            i += 1
            simple.append({"name": "simple scheduler ModelSamplingFlux shift=%s steps=%d" % (shift, steps),
                           "shift": shift, "steps": steps, "table_size": len(a["table"]),
                           "table_bits": a["table"] if steps == 1 else None,
                           "sigmas_bits": a["sigmas"], "sigmas_bits_default_kernel": d["sigmas"],
                           "kernels_agree": a["sigmas"] == d["sigmas"] and a["table"] == d["table"]})
    simple = [{k: v for k, v in case.items() if v is not None} for case in simple]
    root = {
        "source": "tools/reference/torch_conventions.py: torch %s CPU (ATEN_CPU_CAPABILITY avx2 -> %s, default -> %s),"
                  " one thread; ComfyUI's flux_time_shift, ModelSamplingFlux, simple_scheduler at Comfy-Org/ComfyUI@%s"
                  " and diffusers v0.40.0's compute_empirical_mu, loaded from their files"
                  % (avx2["torch"], avx2["capability"], default["capability"], COMFY_COMMIT),
        "schema": {
            "torch_linspace[]": "start, end (Python floats), steps; bits_avx2 / bits_default: torch.linspace(start,"
                                " end, steps) float32 as int32 patterns under each CPU kernel.",
            "comfyui_flux2_scheduler[]": "as in conventions-goldens.json: Flux2Scheduler(steps, width, height).",
            "comfyui_simple_flux[]": "as in conventions-goldens.json (no table_indices); table_bits: the whole"
                                     " ModelSamplingFlux(shift).sigmas table, given once per shift (steps=1).",
        },
        "torch_linspace": linspace,
        "comfyui_flux2_scheduler": flux2,
        "comfyui_simple_flux": simple,
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(root, f, separators=(",", ":"))
        f.write("\n")
    differ = sum(1 for c in linspace if c["bits_avx2"] != c["bits_default"])
    print("wrote %s: %d linspaces (%d differ between kernels), %d Flux2Scheduler, %d simple" % (
        OUT, len(linspace), differ, len(flux2), len(simple)))


if __name__ == "__main__":
    main()
