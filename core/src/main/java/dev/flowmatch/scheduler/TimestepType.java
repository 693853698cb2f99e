package dev.flowmatch.scheduler;

/** The dtype a diffusers scheduler keeps its timesteps in. */
public enum TimestepType {
    /** float32 timesteps ({@code sigma * num_train_timesteps}): the flow-match classes. */
    FLOAT32,
    /** int64 timesteps ({@code sigma * num_train_timesteps} truncated): DPM-Solver and UniPC. */
    INT64
}
