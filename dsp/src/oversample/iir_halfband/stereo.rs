//! Two channels' half-bands run side by side: the left channel's direct and delayed branches in
//! lanes 0–1, the right channel's in lanes 2–3, so one SSE step advances all four.
//!
//! Each channel keeps its own [`IirHalfBand`] (its states stay in the mono layout); a block packs
//! both channels' states into four-lane registers, runs, and unpacks them. Every lane does exactly
//! the operations of the mono path in the same order, so the output is bit-identical to processing
//! the channels one after the other.

use super::lanes::Lanes;
use super::{BranchPair, IirHalfBand, SETTLE_INTERVAL, run_sections};

/// Two channels' paired sections packed side by side for the length of a block.
struct PackedBranches<const SECTIONS: usize> {
    coefficients: [Lanes; SECTIONS],
    previous_input: Lanes,
    previous_outputs: [Lanes; SECTIONS],
}

impl<const SECTIONS: usize> PackedBranches<SECTIONS> {
    #[inline(always)]
    fn pack<const DIRECT: usize>(
        left: &BranchPair<DIRECT, SECTIONS>,
        right: &BranchPair<DIRECT, SECTIONS>,
    ) -> Self {
        Self {
            coefficients: std::array::from_fn(|section| {
                Lanes::join(
                    left.paired_coefficients[section],
                    right.paired_coefficients[section],
                )
            }),
            previous_input: Lanes::join(left.previous_input, right.previous_input),
            previous_outputs: std::array::from_fn(|section| {
                Lanes::join(
                    left.previous_outputs[section],
                    right.previous_outputs[section],
                )
            }),
        }
    }

    #[inline(always)]
    fn unpack<const DIRECT: usize>(
        &self,
        left: &mut BranchPair<DIRECT, SECTIONS>,
        right: &mut BranchPair<DIRECT, SECTIONS>,
    ) {
        left.previous_input = self.previous_input.low_pair();
        right.previous_input = self.previous_input.high_pair();
        for (section, packed) in self.previous_outputs.iter().enumerate() {
            left.previous_outputs[section] = packed.low_pair();
            right.previous_outputs[section] = packed.high_pair();
        }
    }

    #[inline(always)]
    fn tick(&mut self, input: Lanes) -> Lanes {
        run_sections(
            &self.coefficients,
            &mut self.previous_input,
            &mut self.previous_outputs,
            input,
        )
    }
}

impl<const DIRECT: usize, const DELAYED: usize> IirHalfBand<DIRECT, DELAYED> {
    /// [`IirHalfBand::upsample`] of two channels at once: `left_input` through `left` into
    /// `left_output`, `right_input` through `right` into `right_output` (all outputs twice as long
    /// as the inputs, which are equally long).
    pub fn upsample_pair(
        left: &mut Self,
        right: &mut Self,
        (left_input, right_input): (&[f32], &[f32]),
        (left_output, right_output): (&mut [f32], &mut [f32]),
    ) {
        let length = left_input.len();
        assert!(
            right_input.len() == length
                && left_output.len() == 2 * length
                && right_output.len() == 2 * length,
            "IirHalfBand::upsample_pair: inputs of {length} and {} samples, outputs of {} and {}",
            right_input.len(),
            left_output.len(),
            right_output.len()
        );
        for start in (0..length).step_by(SETTLE_INTERVAL) {
            let end = (start + SETTLE_INTERVAL).min(length);
            let mut packed = PackedBranches::pack(&left.up, &right.up);
            let inputs = left_input[start..end].iter().zip(&right_input[start..end]);
            let outputs = left_output[2 * start..2 * end]
                .as_chunks_mut::<2>()
                .0
                .iter_mut()
                .zip(right_output[2 * start..2 * end].as_chunks_mut::<2>().0);
            for ((&left_sample, &right_sample), (left_pair, right_pair)) in inputs.zip(outputs) {
                let output = packed.tick(Lanes::from_array([
                    left_sample,
                    left_sample,
                    right_sample,
                    right_sample,
                ]));
                if DIRECT == DELAYED {
                    output.store_pairs(left_pair, right_pair);
                } else {
                    let [left_direct, left_delayed, right_direct, right_delayed] =
                        output.to_array();
                    *left_pair = [left.up.extra_section(left_direct), left_delayed];
                    *right_pair = [right.up.extra_section(right_direct), right_delayed];
                }
            }
            packed.unpack(&mut left.up, &mut right.up);
            left.up.settle_every_interval(end - start);
            right.up.settle_every_interval(end - start);
        }
    }

    /// [`IirHalfBand::downsample`] of two channels at once: `left_input` through `left` into
    /// `left_output`, `right_input` through `right` into `right_output` (inputs twice as long as
    /// the outputs, which are equally long).
    pub fn downsample_pair(
        left: &mut Self,
        right: &mut Self,
        (left_input, right_input): (&[f32], &[f32]),
        (left_output, right_output): (&mut [f32], &mut [f32]),
    ) {
        let length = left_output.len();
        assert!(
            right_output.len() == length
                && left_input.len() == 2 * length
                && right_input.len() == 2 * length,
            "IirHalfBand::downsample_pair: outputs of {length} and {} samples, inputs of {} and {}",
            right_output.len(),
            left_input.len(),
            right_input.len()
        );
        for start in (0..length).step_by(SETTLE_INTERVAL) {
            let end = (start + SETTLE_INTERVAL).min(length);
            let mut packed = PackedBranches::pack(&left.down, &right.down);
            let inputs = left_input[2 * start..2 * end]
                .as_chunks::<2>()
                .0
                .iter()
                .zip(right_input[2 * start..2 * end].as_chunks::<2>().0);
            let outputs = left_output[start..end]
                .iter_mut()
                .zip(&mut right_output[start..end]);
            for ((left_pair, right_pair), (left_sample, right_sample)) in inputs.zip(outputs) {
                // The direct branch takes the odd phase, the delayed branch the even one.
                let branches = packed.tick(Lanes::from_array([
                    left_pair[1],
                    left_pair[0],
                    right_pair[1],
                    right_pair[0],
                ]));
                if DIRECT == DELAYED {
                    let sums = branches.half_pair_sums();
                    *left_sample = sums.first();
                    *right_sample = sums.third();
                } else {
                    let [left_direct, left_delayed, right_direct, right_delayed] =
                        branches.to_array();
                    *left_sample = 0.5 * (left.down.extra_section(left_direct) + left_delayed);
                    *right_sample = 0.5 * (right.down.extra_section(right_direct) + right_delayed);
                }
            }
            packed.unpack(&mut left.down, &mut right.down);
            left.down.settle_every_interval(end - start);
            right.down.settle_every_interval(end - start);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic test signal with content across the band, `length` samples.
    fn signal(seed: u32, length: usize) -> Vec<f32> {
        let mut state = seed;
        (0..length)
            .map(|_| {
                state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (state >> 8) as f32 / (1u32 << 24) as f32 - 0.5
            })
            .collect()
    }

    /// Up and down through a pair and through two mono stages; returns whether every sample agrees
    /// bit for bit over `blocks` blocks of 37 samples (not a multiple of the settle interval).
    fn pair_matches_mono<const DIRECT: usize, const DELAYED: usize>(blocks: usize) -> bool {
        let design = IirHalfBand::<DIRECT, DELAYED>::new(0.1);
        let (mut left_mono, mut right_mono) = (design.clone(), design.clone());
        let (mut left_pair, mut right_pair) = (design.clone(), design);
        let block = 37;
        let left = signal(1, block * blocks);
        let right = signal(2, block * blocks);
        let mut identical = true;
        for (left_block, right_block) in left.chunks(block).zip(right.chunks(block)) {
            let mut mono_high = [vec![0.0; 2 * block], vec![0.0; 2 * block]];
            left_mono.upsample(left_block, &mut mono_high[0]);
            right_mono.upsample(right_block, &mut mono_high[1]);
            let mut pair_high = [vec![0.0; 2 * block], vec![0.0; 2 * block]];
            let [pair_left_high, pair_right_high] = &mut pair_high;
            IirHalfBand::upsample_pair(
                &mut left_pair,
                &mut right_pair,
                (left_block, right_block),
                (pair_left_high, pair_right_high),
            );
            identical &= mono_high == pair_high;

            // Bend the high-rate signal so the decimators see something other than an image.
            let bend = |high: &mut Vec<f32>| high.iter_mut().for_each(|x| *x = x.tanh());
            mono_high.iter_mut().for_each(bend);
            pair_high.iter_mut().for_each(bend);
            let mut mono_low = [vec![0.0; block], vec![0.0; block]];
            left_mono.downsample(&mono_high[0], &mut mono_low[0]);
            right_mono.downsample(&mono_high[1], &mut mono_low[1]);
            let mut pair_low = [vec![0.0; block], vec![0.0; block]];
            let [pair_left_low, pair_right_low] = &mut pair_low;
            IirHalfBand::downsample_pair(
                &mut left_pair,
                &mut right_pair,
                (&pair_high[0], &pair_high[1]),
                (pair_left_low, pair_right_low),
            );
            identical &= mono_low == pair_low;
        }
        identical
    }

    #[test]
    fn pairs_are_bit_identical_to_two_mono_stages_for_every_branch_shape() {
        assert!(pair_matches_mono::<4, 4>(20), "8-coefficient stage");
        assert!(pair_matches_mono::<2, 2>(20), "4-coefficient stage");
        assert!(pair_matches_mono::<2, 1>(20), "3-coefficient stage");
        assert!(pair_matches_mono::<1, 1>(20), "2-coefficient stage");
    }
}
