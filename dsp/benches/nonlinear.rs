//! Criterion benchmark placeholder for nonlinear (filled in by its owner).
fn main() {}
