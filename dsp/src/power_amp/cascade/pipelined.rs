//! Two cascaded sections run side by side, one sample apart, in the two lanes of one SSE2 register.
//!
//! A cascade is a chain: the second section needs the first one's output of the same sample, so the
//! two cannot run in parallel on one sample. Skewed by one sample they can: at step `n` lane 0 runs
//! the first section on `x[n]` while lane 1 runs the second section on the first one's output for
//! `x[n − 1]`, which the previous step produced. A scalar step of the first section before the loop
//! and one of the second after it fill and drain the pipeline, so a block comes out complete, with
//! no added delay.
//!
//! Each lane performs exactly the operations of [`Section::process`] in the same order (IEEE
//! double-precision multiplies, adds and subtracts are exactly rounded in either form, and Rust
//! never fuses them), so the output is bit-identical to running the two sections one after the
//! other; only the instruction count falls (one packed update instead of two scalar ones).

use super::Section;

/// A sample a pipelined pair can read and overwrite in place.
pub(super) trait Slot: Copy {
    /// The sample as the sections' input.
    fn read(self) -> f64;
    /// The slot's value for a section output.
    fn from_output(value: f64) -> Self;
    /// The sample times `factor`, at the slot's own precision.
    fn scaled(self, factor: Self) -> Self;
}

impl Slot for f32 {
    #[inline(always)]
    fn read(self) -> f64 {
        f64::from(self)
    }

    #[inline(always)]
    fn from_output(value: f64) -> Self {
        value as f32
    }

    #[inline(always)]
    fn scaled(self, factor: Self) -> Self {
        self * factor
    }
}

impl Slot for f64 {
    #[inline(always)]
    fn read(self) -> f64 {
        self
    }

    #[inline(always)]
    fn from_output(value: f64) -> Self {
        value
    }

    #[inline(always)]
    fn scaled(self, factor: Self) -> Self {
        self * factor
    }
}

/// Two `f64` lanes of an SSE2 register and the packed operations the sections need.
#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy)]
struct Lanes(std::arch::x86_64::__m128d);

// SAFETY (every `unsafe` block in this impl): the intrinsics are SSE2 instructions, which every
// x86_64 processor has (SSE2 is part of the architecture's baseline, enabled for every x86_64
// target); they only compute on register values and touch no memory.
#[cfg(target_arch = "x86_64")]
impl Lanes {
    #[inline(always)]
    fn new(low: f64, high: f64) -> Self {
        Self(unsafe { std::arch::x86_64::_mm_setr_pd(low, high) })
    }

    #[inline(always)]
    fn low(self) -> f64 {
        unsafe { std::arch::x86_64::_mm_cvtsd_f64(self.0) }
    }

    #[inline(always)]
    fn high(self) -> f64 {
        unsafe {
            std::arch::x86_64::_mm_cvtsd_f64(std::arch::x86_64::_mm_unpackhi_pd(self.0, self.0))
        }
    }

    #[inline(always)]
    fn add(self, other: Self) -> Self {
        Self(unsafe { std::arch::x86_64::_mm_add_pd(self.0, other.0) })
    }

    #[inline(always)]
    fn sub(self, other: Self) -> Self {
        Self(unsafe { std::arch::x86_64::_mm_sub_pd(self.0, other.0) })
    }

    #[inline(always)]
    fn mul(self, other: Self) -> Self {
        Self(unsafe { std::arch::x86_64::_mm_mul_pd(self.0, other.0) })
    }
}

/// Runs `first` then `second` over `block` in place (the intermediate signal stays in `f64`).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub(super) fn run_pair<S: Slot>(first: &mut Section, second: &mut Section, block: &mut [S]) {
    let mut slots = block.iter_mut();
    let Some(mut previous) = slots.next() else {
        return;
    };
    // Fill: the first section alone on the first sample.
    let mut carried = first.process(previous.read());
    let (b0, b1, b2) = (
        Lanes::new(first.b0, second.b0),
        Lanes::new(first.b1, second.b1),
        Lanes::new(first.b2, second.b2),
    );
    let (a1, a2) = (
        Lanes::new(first.a1, second.a1),
        Lanes::new(first.a2, second.a2),
    );
    let mut state1 = Lanes::new(first.state1, second.state1);
    let mut state2 = Lanes::new(first.state2, second.state2);
    for current in slots {
        let input = Lanes::new(current.read(), carried);
        // The operations of `Section::process`, lane by lane.
        let output = b0.mul(input).add(state1);
        state1 = b1.mul(input).sub(a1.mul(output)).add(state2);
        state2 = b2.mul(input).sub(a2.mul(output));
        *previous = S::from_output(output.high());
        carried = output.low();
        previous = current;
    }
    first.state1 = state1.low();
    first.state2 = state2.low();
    second.state1 = state1.high();
    second.state2 = state2.high();
    // Drain: the second section alone on the last sample.
    *previous = S::from_output(second.process(carried));
}

/// Runs `first` then `second` over `block` in place (the intermediate signal stays in `f64`).
#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
pub(super) fn run_pair<S: Slot>(first: &mut Section, second: &mut Section, block: &mut [S]) {
    let (mut first_copy, mut second_copy) = (*first, *second);
    for sample in block.iter_mut() {
        let middle = first_copy.process(sample.read());
        *sample = S::from_output(second_copy.process(middle));
    }
    *first = first_copy;
    *second = second_copy;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn section(seed: f64) -> Section {
        Section {
            b0: 0.3 + seed,
            b1: -0.2 * seed,
            b2: 0.05,
            a1: -1.6 + 0.1 * seed,
            a2: 0.7,
            state1: 0.01 * seed,
            state2: -0.02,
        }
    }

    #[test]
    fn pipelined_pair_is_bit_identical_to_two_sections_in_turn() {
        let source: Vec<f32> = (0..37)
            .map(|index| ((index as f32) * 0.37).sin() * 0.8)
            .collect();
        let (mut first, mut second) = (section(0.1), section(0.4));
        let (mut first_reference, mut second_reference) = (first, second);
        let mut pipelined = source.clone();
        let mut reference = source.clone();
        // Two blocks, so the states handed from one block to the next are checked too.
        for range in [0..20, 20..37] {
            run_pair(&mut first, &mut second, &mut pipelined[range.clone()]);
            for sample in reference[range].iter_mut() {
                let middle = first_reference.process(f64::from(*sample));
                *sample = second_reference.process(middle) as f32;
            }
        }
        let differing = pipelined
            .iter()
            .zip(&reference)
            .filter(|(left, right)| left.to_bits() != right.to_bits())
            .count();
        println!(
            "pipelined pair: {differing} of {} samples differ",
            source.len()
        );
        assert_eq!(
            differing, 0,
            "{differing} samples differ from the reference"
        );
        assert_eq!((first, second), (first_reference, second_reference));
    }
}
