//! Oversampling by cascaded half-band stages, minimum-phase (IIR) or linear-phase (FIR).
