package dev.flowmatch.schedule;

/**
 * Which diffusers release's {@code set_timesteps} to reproduce where releases differ. They differ in one place:
 * custom timesteps ({@code set_timesteps(timesteps=...)}).
 */
public enum DiffusersRelease {
    /**
     * diffusers 0.39 and earlier: given custom timesteps, {@code scheduler.timesteps} are those timesteps cast to
     * float32 (the sigmas are still {@code timesteps / num_train_timesteps}, shifted); with {@code invert_sigmas}
     * they are recomputed from the sigmas as in every release.
     */
    V0_39,
    /**
     * diffusers 0.40 (the reference, the default): timesteps are always {@code sigmas * num_train_timesteps}, also
     * for custom timesteps (diffusers#14011), so they agree with the shifted sigmas.
     */
    V0_40
}
