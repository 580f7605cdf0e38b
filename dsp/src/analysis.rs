//! Measurement on realfft: THD and harmonics, aliasing, frequency response, latency, test signals.
