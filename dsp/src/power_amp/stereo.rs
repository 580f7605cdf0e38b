//! Two channels of one power amp processed together: the left and right channel's output stages
//! run side by side in the two `f64` lanes of one SSE2 register.
//!
//! A stereo amp's channels share everything but their signal and state: the same type, curves,
//! feedback and quality. Chunk by chunk, [`PowerAmp::process_pair_block`] runs each channel's
//! base-rate front, upsamples both together ([`Oversampler::upsample_pair`]: the half-bands of
//! both channels in shared SIMD lanes), runs both output stages in one loop whose arithmetic is
//! packed (drive over the rail, clamp, ADAA difference quotient, rail scaling, droop fix: one
//! packed operation for two scalar ones; only the table lookups stay per lane), downsamples both
//! together and finishes each channel.
//!
//! Each lane performs exactly the operations of the single-channel stage in the same order (IEEE
//! double-precision arithmetic is exactly rounded in either form, and Rust never fuses multiplies
//! and adds), so the output is bit-identical to processing the channels one at a time; only the
//! instruction count falls. When the channels differ in quality, curves or block length, each is
//! processed on its own.

use super::{
    CHUNK, CurveBlend, DROOP_FIX, NORMALISED_RANGE, PowerAmp, RailGlide, StageCurves, StageState,
};
use crate::Processor;
use crate::oversample::Oversampler;
use crate::shape::adaa::TabulatedCurve;

impl PowerAmp {
    /// Processes `left_block` with `left` and `right_block` with `right` (two channels of one
    /// amp), sample for sample as [`Processor::process_block`] on each, with the two output stages
    /// sharing SIMD lanes when the channels use the same quality and curves.
    pub fn process_pair_block(
        left: &mut PowerAmp,
        right: &mut PowerAmp,
        left_block: &mut [f32],
        right_block: &mut [f32],
    ) {
        if left_block.len() != right_block.len() || left.settings.quality != right.settings.quality
        {
            left.process_block(left_block);
            right.process_block(right_block);
            return;
        }
        for (left_chunk, right_chunk) in left_block
            .chunks_mut(CHUNK)
            .zip(right_block.chunks_mut(CHUNK))
        {
            Self::process_pair_chunk(left, right, left_chunk, right_chunk);
        }
    }

    /// One chunk of each channel (equal lengths, at most [`CHUNK`], same quality).
    fn process_pair_chunk(
        left: &mut PowerAmp,
        right: &mut PowerAmp,
        left_chunk: &mut [f32],
        right_chunk: &mut [f32],
    ) {
        // 1. Drive at the base rate.
        let left_front = left.drive_front(left_chunk);
        let right_front = right.drive_front(right_chunk);
        // 2. Both output stages and high networks at the oversampled rate.
        let left_curves = Self::stage_curves(
            &left.bank,
            left.settings.amp_type,
            left.feedback_step,
            left.feedback_weight,
        );
        let right_curves = Self::stage_curves(
            &right.bank,
            right.settings.amp_type,
            right.feedback_step,
            right.feedback_weight,
        );
        let quality = left.settings.quality.index();
        let left_oversampler = &mut left.oversamplers[quality];
        let right_oversampler = &mut right.oversamplers[quality];
        let ratio = left_oversampler.factor();
        let (left_high, right_high) = Oversampler::upsample_pair(
            &mut *left_oversampler,
            &mut *right_oversampler,
            left_chunk,
            right_chunk,
        );
        if left_curves.same_as(&right_curves) {
            let [left_state, right_state] = run_output_stage_pair(
                [&mut *left_high, &mut *right_high],
                &left_curves,
                [left_front.glide(ratio), right_front.glide(ratio)],
                [left.stage, right.stage],
            );
            left.stage = left_curves.recovered(left_state);
            right.stage = right_curves.recovered(right_state);
        } else {
            left.stage = left_curves.run(left_high, left_front.glide(ratio), left.stage);
            right.stage = right_curves.run(right_high, right_front.glide(ratio), right.stage);
        }
        left.network.high.process_block(left_high);
        right.network.high.process_block(right_high);
        Oversampler::downsample_pair(left_oversampler, right_oversampler, left_chunk, right_chunk);
        // 3. Back at the base rate.
        left.finish_chunk(left_chunk, &left_front);
        right.finish_chunk(right_chunk, &right_front);
    }
}

/// Both channels' output stages over their oversampled chunks (equal lengths, same ratio), in
/// place: [`super::run_output_stage`] for each, lane 0 the left channel and lane 1 the right.
fn run_output_stage_pair(
    high: [&mut [f32]; 2],
    curves: &StageCurves,
    glides: [RailGlide; 2],
    states: [StageState; 2],
) -> [StageState; 2] {
    #[cfg(target_arch = "x86_64")]
    {
        if curves.blend.weight == 0.0 {
            packed::run::<false>(
                high,
                curves.lower,
                curves.upper,
                curves.blend,
                glides,
                states,
            )
        } else {
            packed::run::<true>(
                high,
                curves.lower,
                curves.upper,
                curves.blend,
                glides,
                states,
            )
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let [left, right] = high;
        let [left_glide, right_glide] = glides;
        [
            curves.run(left, left_glide, states[0]),
            curves.run(right, right_glide, states[1]),
        ]
    }
}

/// The SSE2 loop.
#[cfg(target_arch = "x86_64")]
mod packed {
    use std::arch::x86_64::{
        __m128d, _mm_and_pd, _mm_castsi128_pd, _mm_cmpgt_pd, _mm_cvtpd_ps, _mm_cvtps_pd,
        _mm_cvtsd_f64, _mm_cvtss_f32, _mm_div_pd, _mm_max_pd, _mm_min_pd, _mm_movemask_pd,
        _mm_mul_pd, _mm_set1_epi64x, _mm_set1_pd, _mm_setr_pd, _mm_setr_ps, _mm_shuffle_ps,
        _mm_storeu_pd, _mm_sub_pd, _mm_unpackhi_pd,
    };

    use super::{CurveBlend, DROOP_FIX, NORMALISED_RANGE, RailGlide, StageState, TabulatedCurve};

    /// The two lanes of `value` as `[lane 0, lane 1]`.
    #[inline(always)]
    fn lanes(value: __m128d) -> [f64; 2] {
        let mut array = [0.0; 2];
        // SAFETY: SSE2 (part of the x86_64 baseline); the store writes the two `f64` of `array`.
        unsafe { _mm_storeu_pd(array.as_mut_ptr(), value) };
        array
    }

    /// `F` of the blended curve at `drive`, as the single-channel stage computes it.
    #[inline(always)]
    fn antiderivative<const BLEND: bool>(
        lower: &TabulatedCurve,
        upper: &TabulatedCurve,
        weight: f64,
        drive: f64,
    ) -> f64 {
        if BLEND {
            let low = lower.antiderivative(drive);
            low + weight * (upper.antiderivative(drive) - low)
        } else {
            lower.antiderivative(drive)
        }
    }

    /// `f` of the blended curve at `middle` (the ill-conditioned fallback).
    #[inline(always)]
    fn value<const BLEND: bool>(
        lower: &TabulatedCurve,
        upper: &TabulatedCurve,
        weight: f64,
        middle: f64,
    ) -> f64 {
        let low = lower.value(middle);
        if BLEND {
            low + weight * (upper.value(middle) - low)
        } else {
            low
        }
    }

    /// Kept out of line so that the curves arrive as plain reference arguments and their fields
    /// stay in registers (as in the single-channel stage).
    #[inline(never)]
    pub(super) fn run<const BLEND: bool>(
        high: [&mut [f32]; 2],
        lower: &TabulatedCurve,
        upper: &TabulatedCurve,
        blend: CurveBlend,
        glides: [RailGlide; 2],
        states: [StageState; 2],
    ) -> [StageState; 2] {
        let [left, right] = high;
        let [left_glide, right_glide] = glides;
        let ratio = left_glide.ratio;
        assert!(
            left.len() == right.len() && ratio == right_glide.ratio && ratio > 0,
            "run_output_stage_pair: the channels' chunks differ"
        );
        let weight = blend.weight;
        let limit = 4.0 * NORMALISED_RANGE;
        // SAFETY (every intrinsic below): SSE2 instructions, part of the x86_64 baseline, that
        // compute on register values only (`lanes` stores into a local array).
        let (low_limit, high_limit, droop_now, droop_then, magnitude_mask, ill_conditioned, one) = unsafe {
            (
                _mm_set1_pd(-limit),
                _mm_set1_pd(limit),
                _mm_set1_pd(1.0 + DROOP_FIX),
                _mm_set1_pd(DROOP_FIX),
                _mm_castsi128_pd(_mm_set1_epi64x(i64::MAX)),
                _mm_set1_pd(blend.ill_conditioned),
                _mm_set1_pd(1.0),
            )
        };
        let pair = |left: f64, right: f64| unsafe { _mm_setr_pd(left, right) };
        let mut previous_drive = pair(states[0].previous_drive, states[1].previous_drive);
        let mut previous_antiderivative = pair(
            states[0].previous_antiderivative,
            states[1].previous_antiderivative,
        );
        let mut previous_output = pair(states[0].previous_output, states[1].previous_output);
        for (((left_block, right_block), &left_rail), &right_rail) in left
            .chunks_mut(ratio)
            .zip(right.chunks_mut(ratio))
            .zip(&left_glide.rails[1..])
            .zip(&right_glide.rails[1..])
        {
            let rail = pair(left_rail, right_rail);
            let inverse_rail = unsafe { _mm_div_pd(one, rail) };
            for (left_sample, right_sample) in left_block.iter_mut().zip(right_block.iter_mut()) {
                // SAFETY: see above.
                unsafe {
                    let input = _mm_cvtps_pd(_mm_setr_ps(*left_sample, *right_sample, 0.0, 0.0));
                    // `clamp(x, −limit, limit)`: max then min, NaN passing through as in `clamp`.
                    let drive = _mm_min_pd(
                        high_limit,
                        _mm_max_pd(low_limit, _mm_mul_pd(input, inverse_rail)),
                    );
                    let [left_drive, right_drive] = lanes(drive);
                    let antiderivative = pair(
                        antiderivative::<BLEND>(lower, upper, weight, left_drive),
                        antiderivative::<BLEND>(lower, upper, weight, right_drive),
                    );
                    let difference = _mm_sub_pd(drive, previous_drive);
                    let well_conditioned =
                        _mm_cmpgt_pd(_mm_and_pd(difference, magnitude_mask), ill_conditioned);
                    let mut shaped = _mm_div_pd(
                        _mm_sub_pd(antiderivative, previous_antiderivative),
                        difference,
                    );
                    let conditioned = _mm_movemask_pd(well_conditioned);
                    if conditioned != 0b11 {
                        let [mut left_shaped, mut right_shaped] = lanes(shaped);
                        let [left_previous, right_previous] = lanes(previous_drive);
                        if conditioned & 0b01 == 0 {
                            let middle = 0.5 * (left_drive + left_previous);
                            left_shaped = value::<BLEND>(lower, upper, weight, middle);
                        }
                        if conditioned & 0b10 == 0 {
                            let middle = 0.5 * (right_drive + right_previous);
                            right_shaped = value::<BLEND>(lower, upper, weight, middle);
                        }
                        shaped = pair(left_shaped, right_shaped);
                    }
                    previous_drive = drive;
                    previous_antiderivative = antiderivative;
                    let output = _mm_mul_pd(shaped, rail);
                    let corrected = _mm_sub_pd(
                        _mm_mul_pd(droop_now, output),
                        _mm_mul_pd(droop_then, previous_output),
                    );
                    let single = _mm_cvtpd_ps(corrected);
                    *left_sample = _mm_cvtss_f32(single);
                    *right_sample = _mm_cvtss_f32(_mm_shuffle_ps::<0b01>(single, single));
                    previous_output = output;
                }
            }
        }
        let state = |lane: usize| {
            let pick = |value: __m128d| unsafe {
                if lane == 0 {
                    _mm_cvtsd_f64(value)
                } else {
                    _mm_cvtsd_f64(_mm_unpackhi_pd(value, value))
                }
            };
            StageState {
                previous_drive: pick(previous_drive),
                previous_antiderivative: pick(previous_antiderivative),
                previous_output: pick(previous_output),
            }
        };
        [state(0), state(1)]
    }
}
