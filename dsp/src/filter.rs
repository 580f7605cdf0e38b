//! Linear filters, each with an analytic `response(frequency)`: SVF, biquads, one-pole, DC blocker, tone stack.
