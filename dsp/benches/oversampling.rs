//! Criterion benchmark placeholder for oversampling (filled in by its owner).
fn main() {}
