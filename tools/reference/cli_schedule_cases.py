"""The schedule part of diffusers' own runs, for the CLI's `schedule --config` test.

Copies, from core's sampler-goldens.json (diffusers v0.40.0's scheduler modules under torch 1.13, see that file's
`source`), each run's config, set_timesteps call and the sigmas / timesteps diffusers computed; nothing is computed
here. Run from the repository root:

    python3 tools/reference/cli_schedule_cases.py
"""
import json

SOURCE = "core/src/test/resources/golden/sampler-goldens.json"
TARGET = "cli/src/test/resources/golden/sampler-schedules.json"

with open(SOURCE) as f:
    goldens = json.load(f)

cases = []
for run in goldens["sampler_runs"]:
    cases.append({
        "name": run["name"],
        "scheduler": run["scheduler"],
        "config": run["config"],
        "set_timesteps": run["set_timesteps"],
        "sigmas_bits": run["sigmas"]["bits"],
        "timesteps": run["timesteps"],
    })

with open(TARGET, "w") as f:
    json.dump({
        "source": "the schedules of " + SOURCE + " (" + goldens["source"] + "), copied by "
                  "tools/reference/cli_schedule_cases.py",
        "schema": {
            "cases[].scheduler": "the diffusers class that ran (from_config of config)",
            "cases[].config": "the scheduler_config.json object passed to from_config",
            "cases[].set_timesteps": "the set_timesteps arguments; null = not passed",
            "cases[].sigmas_bits": "the resulting sigmas, float32 bit patterns as signed int32",
            "cases[].timesteps": "the resulting timesteps: dtype, shape, and values (int64) or bits (float32)",
        },
        "cases": cases,
    }, f, indent=1)
print(len(cases), "cases")
