//! Nonlinear stages with antiderivative anti-aliasing: triode, op-amp, transformer, power-stage clippers.
