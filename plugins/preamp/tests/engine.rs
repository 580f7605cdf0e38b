//! The preamp engine outside a host: activation cost, and no allocation while processing every
//! quality (checked with a counting global allocator).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use gainstage_preamp::engine::PreampEngine;
use gainstage_preamp::params::PreampParams;

/// Counts allocations made by this test binary.
struct CountingAllocator;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, pointer: *mut u8, layout: Layout) {
        unsafe { System.dealloc(pointer, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

#[test]
fn activation_builds_every_quality_and_processing_never_allocates() {
    let params = PreampParams::default();
    let mut engine = PreampEngine::default();
    let started = Instant::now();
    engine.prepare(48_000.0, 512, 2, false, &params);
    engine.reset(&params);
    println!(
        "activation (2 channels, 7 qualities): {:?}",
        started.elapsed()
    );

    let mut left: Vec<f32> = (0..512)
        .map(|index| (index as f32 * 0.05).sin() * 0.5)
        .collect();
    let mut right = left.clone();
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    for _ in 0..200 {
        let mut channels = [left.as_mut_slice(), right.as_mut_slice()];
        engine.process(&mut channels, &params);
    }
    let allocations = ALLOCATIONS.load(Ordering::Relaxed) - before;
    assert_eq!(
        allocations, 0,
        "process allocated {allocations} times in 200 blocks"
    );
    assert!(
        left.iter()
            .chain(right.iter())
            .all(|sample| sample.is_finite()),
        "non-finite output"
    );
}
