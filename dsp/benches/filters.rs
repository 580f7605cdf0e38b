//! Criterion benchmark placeholder for filters (filled in by its owner).
fn main() {}
