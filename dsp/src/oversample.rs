//! Oversampling by cascaded half-band stages, minimum-phase (IIR) or linear-phase (FIR).
//!
//! A factor of `2^S` is `S` cascaded 2× stages. Every stage keeps the audio band: the pass band ends at
//! 20 kHz for a 44.1 kHz base rate ([`PASSBAND_EDGE`] of the base rate) and the stop band starts at the
//! mirror image of that edge about the stage's low-rate Nyquist frequency, so nothing above the stop
//! edge can alias below 20 kHz. The first stage (closest to the base rate) has the narrow transition
//! band and does most of the work; the later stages have wide transition bands and few coefficients.
//!
//! - [`FilterFlavour::MinimumPhase`]: polyphase IIR half-bands ([`iir_halfband`]), elliptic designs,
//!   104 dB stop band, reported latency 0. The filters still delay low frequencies by 3–5 base-rate
//!   samples (the impulse arrives after 3, 4, 5, 5 samples at 2×, 4×, 8×, 16×); see
//!   [`Oversampler::alignment_delay`] and [`Oversampler::group_delay`].
//! - [`FilterFlavour::LinearPhase`]: polyphase equiripple FIR half-bands ([`fir_halfband`], designed by
//!   the Remez exchange in [`equiripple`]), ≥ 100 dB stop band, an exact integer latency in base-rate
//!   samples (69, 74, 76, 76 at 2×, 4×, 8×, 16×), made whole by choosing each decimator's phase.
//!
//! Nothing allocates after [`Oversampler::prepare`].

pub mod equiripple;
pub mod fir_halfband;
pub mod iir_halfband;

use crate::guard::sanitize;
use fir_halfband::{FirHalfBand, FirHalfBandDesign};
use iir_halfband::IirHalfBand;
use realfft::num_complex::Complex64;
use std::sync::OnceLock;

/// Pass-band edge as a fraction of the base sample rate: 20 kHz at 44.1 kHz (21.8 kHz at 48 kHz).
pub const PASSBAND_EDGE: f64 = 20_000.0 / 44_100.0;

/// Stop-band attenuation every linear-phase stage is designed for, dB.
pub const LINEAR_PHASE_ATTENUATION_DB: f64 = 100.0;

/// Block size [`Oversampler::new`] prepares for until [`Oversampler::prepare`] is called, base-rate samples.
pub const DEFAULT_MAX_BLOCK: usize = 64;

/// How many high-rate samples stand for one base-rate sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OversamplingFactor {
    /// No oversampling (pass-through, zero latency).
    X1,
    /// 2× (one half-band stage).
    X2,
    /// 4× (two half-band stages).
    X4,
    /// 8× (three half-band stages).
    X8,
    /// 16× (four half-band stages).
    X16,
}

impl OversamplingFactor {
    /// Every factor, smallest first.
    pub const ALL: [Self; 5] = [Self::X1, Self::X2, Self::X4, Self::X8, Self::X16];

    /// The oversampling ratio: 1, 2, 4, 8 or 16.
    pub fn ratio(self) -> usize {
        1 << self.stage_count()
    }

    /// Number of cascaded 2× stages: 0 to 4.
    pub fn stage_count(self) -> usize {
        match self {
            Self::X1 => 0,
            Self::X2 => 1,
            Self::X4 => 2,
            Self::X8 => 3,
            Self::X16 => 4,
        }
    }
}

/// Which kind of half-band filters the cascade uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FilterFlavour {
    /// Polyphase IIR half-bands: no reported latency, phase shift near the top of the band.
    MinimumPhase,
    /// Symmetric FIR half-bands: exact phase, an exact integer latency.
    LinearPhase,
}

/// Transition width of cascade stage `stage_number` (1 = next to the base rate), as a fraction of that
/// stage's high rate: from [`PASSBAND_EDGE`] to `2^(s−1) − PASSBAND_EDGE` (base-rate units), over `2^s`.
pub fn stage_transition_width(stage_number: usize) -> f64 {
    let high_rate_ratio = (1usize << stage_number) as f64;
    (high_rate_ratio / 2.0 - 2.0 * PASSBAND_EDGE) / high_rate_ratio
}

/// Which way a block goes through a stage.
#[derive(Debug, Clone, Copy)]
enum Direction {
    /// Low rate to high rate.
    Up,
    /// High rate to low rate.
    Down,
}

/// One 2× stage of a cascade. The IIR variants differ only in their coefficient counts
/// (direct + delayed branch): 8 for the first stage, 4, 3 and 2 for the later, wider ones.
#[derive(Debug, Clone)]
enum HalfBandStage {
    IirEight(IirHalfBand<4, 4>),
    IirFour(IirHalfBand<2, 2>),
    IirThree(IirHalfBand<2, 1>),
    IirTwo(IirHalfBand<1, 1>),
    Fir(FirHalfBand),
}

impl HalfBandStage {
    fn minimum_phase(stage_number: usize) -> Self {
        let transition = stage_transition_width(stage_number);
        match stage_number {
            1 => Self::IirEight(IirHalfBand::new(transition)),
            2 => Self::IirFour(IirHalfBand::new(transition)),
            3 => Self::IirThree(IirHalfBand::new(transition)),
            _ => Self::IirTwo(IirHalfBand::new(transition)),
        }
    }

    fn upsample(&mut self, input: &[f32], output: &mut [f32]) {
        match self {
            Self::IirEight(stage) => stage.upsample(input, output),
            Self::IirFour(stage) => stage.upsample(input, output),
            Self::IirThree(stage) => stage.upsample(input, output),
            Self::IirTwo(stage) => stage.upsample(input, output),
            Self::Fir(stage) => stage.upsample(input, output),
        }
    }

    fn downsample(&mut self, input: &[f32], output: &mut [f32]) {
        match self {
            Self::IirEight(stage) => stage.downsample(input, output),
            Self::IirFour(stage) => stage.downsample(input, output),
            Self::IirThree(stage) => stage.downsample(input, output),
            Self::IirTwo(stage) => stage.downsample(input, output),
            Self::Fir(stage) => stage.downsample(input, output),
        }
    }

    /// Upsamples or downsamples two channels' stages at once: minimum-phase stages of the same
    /// shape share SIMD lanes; anything else runs one channel after the other.
    fn process_pair(
        direction: Direction,
        left: &mut Self,
        right: &mut Self,
        inputs: (&[f32], &[f32]),
        outputs: (&mut [f32], &mut [f32]),
    ) {
        fn paired<const DIRECT: usize, const DELAYED: usize>(
            direction: Direction,
            left: &mut IirHalfBand<DIRECT, DELAYED>,
            right: &mut IirHalfBand<DIRECT, DELAYED>,
            inputs: (&[f32], &[f32]),
            outputs: (&mut [f32], &mut [f32]),
        ) {
            match direction {
                Direction::Up => IirHalfBand::upsample_pair(left, right, inputs, outputs),
                Direction::Down => IirHalfBand::downsample_pair(left, right, inputs, outputs),
            }
        }
        match (left, right) {
            (Self::IirEight(left), Self::IirEight(right)) => {
                paired(direction, left, right, inputs, outputs)
            }
            (Self::IirFour(left), Self::IirFour(right)) => {
                paired(direction, left, right, inputs, outputs)
            }
            (Self::IirThree(left), Self::IirThree(right)) => {
                paired(direction, left, right, inputs, outputs)
            }
            (Self::IirTwo(left), Self::IirTwo(right)) => {
                paired(direction, left, right, inputs, outputs)
            }
            (left, right) => match direction {
                Direction::Up => {
                    left.upsample(inputs.0, outputs.0);
                    right.upsample(inputs.1, outputs.1);
                }
                Direction::Down => {
                    left.downsample(inputs.0, outputs.0);
                    right.downsample(inputs.1, outputs.1);
                }
            },
        }
    }

    fn reset(&mut self) {
        match self {
            Self::IirEight(stage) => stage.reset(),
            Self::IirFour(stage) => stage.reset(),
            Self::IirThree(stage) => stage.reset(),
            Self::IirTwo(stage) => stage.reset(),
            Self::Fir(stage) => stage.reset(),
        }
    }

    fn round_trip_response(&self, normalized_frequency: f64) -> Complex64 {
        match self {
            Self::IirEight(stage) => stage.round_trip_response(normalized_frequency),
            Self::IirFour(stage) => stage.round_trip_response(normalized_frequency),
            Self::IirThree(stage) => stage.round_trip_response(normalized_frequency),
            Self::IirTwo(stage) => stage.round_trip_response(normalized_frequency),
            Self::Fir(stage) => stage.round_trip_response(normalized_frequency),
        }
    }
}

/// The equiripple half-band of linear-phase stage `stage_number` (1 … 4), designed once per process
/// (a few milliseconds of Remez exchange) and cloned afterwards.
fn linear_phase_design(stage_number: usize) -> FirHalfBandDesign {
    static DESIGNS: [OnceLock<FirHalfBandDesign>; 4] = [const { OnceLock::new() }; 4];
    DESIGNS[stage_number - 1]
        .get_or_init(|| {
            FirHalfBandDesign::equiripple(
                LINEAR_PHASE_ATTENUATION_DB,
                stage_transition_width(stage_number),
            )
        })
        .clone()
}

/// Builds the linear-phase cascade for `stage_count` stages and its latency in base-rate samples.
///
/// Stage `s` delays the round trip by `2·(2K_s − 1) − a_s` samples at `2^s` times the base rate, where
/// `a_s ∈ {0, 1}` says whether its decimator keeps the odd phase. The `a_s` are chosen (exhaustively,
/// at most 16 choices) so that the sum is a whole number of base-rate samples, the smallest possible.
fn linear_phase_cascade(stage_count: usize) -> (Vec<HalfBandStage>, u32) {
    let designs: Vec<FirHalfBandDesign> = (1..=stage_count).map(linear_phase_design).collect();
    // Delays in units of the highest rate's samples.
    let delay_at_top_rate = |advance_mask: usize| -> usize {
        designs
            .iter()
            .enumerate()
            .map(|(index, design)| {
                let advanced = (advance_mask >> index) & 1;
                (2 * design.group_delay() - advanced) << (stage_count - 1 - index)
            })
            .sum()
    };
    let top_ratio = 1usize << stage_count;
    let best_mask = (0..top_ratio)
        .filter(|&mask| delay_at_top_rate(mask).is_multiple_of(top_ratio))
        .min_by_key(|&mask| delay_at_top_rate(mask))
        .expect("one decimator phase choice always gives a whole number of base-rate samples");
    let latency = delay_at_top_rate(best_mask) / top_ratio;
    let stages = designs
        .into_iter()
        .enumerate()
        .map(|(index, design)| {
            HalfBandStage::Fir(FirHalfBand::new(design, (best_mask >> index) & 1 == 1))
        })
        .collect();
    (stages, u32::try_from(latency).expect("latency fits in u32"))
}

/// One channel's up/down sampler: [`Oversampler::upsample`] a block, process it at the high rate in the
/// returned buffer, then [`Oversampler::downsample`] it back — or do all three with
/// [`Oversampler::process_block`].
///
/// Hostile input (NaN, ±∞, huge values, denormals) is sanitised on the way in, in both directions, so
/// the filters' states stay finite.
#[derive(Debug, Clone)]
pub struct Oversampler {
    factor: OversamplingFactor,
    flavour: FilterFlavour,
    stages: Vec<HalfBandStage>,
    latency: u32,
    max_block: usize,
    conditioned_input: Vec<f32>,
    high_rate: Vec<f32>,
    intermediate: Vec<f32>,
}

impl Oversampler {
    /// Designs the cascade for `factor` with `flavour` filters and prepares it for blocks of
    /// [`DEFAULT_MAX_BLOCK`] samples (call [`Oversampler::prepare`] for larger blocks).
    pub fn new(factor: OversamplingFactor, flavour: FilterFlavour) -> Self {
        let stage_count = factor.stage_count();
        let (stages, latency) = match flavour {
            FilterFlavour::MinimumPhase => (
                (1..=stage_count)
                    .map(HalfBandStage::minimum_phase)
                    .collect(),
                0,
            ),
            FilterFlavour::LinearPhase => linear_phase_cascade(stage_count),
        };
        let mut oversampler = Self {
            factor,
            flavour,
            stages,
            latency,
            max_block: 0,
            conditioned_input: Vec::new(),
            high_rate: Vec::new(),
            intermediate: Vec::new(),
        };
        oversampler.prepare(DEFAULT_MAX_BLOCK);
        oversampler
    }

    /// Allocates the buffers for blocks of up to `max_block` base-rate samples (at least 1) and resets.
    pub fn prepare(&mut self, max_block: usize) {
        self.max_block = max_block.max(1);
        let ratio = self.factor();
        self.conditioned_input = vec![0.0; self.max_block];
        self.high_rate = vec![0.0; self.max_block * ratio];
        self.intermediate = vec![0.0; self.max_block * ratio / 2];
        self.reset();
    }

    /// Clears all filter states and buffers without allocating.
    pub fn reset(&mut self) {
        for stage in self.stages.iter_mut() {
            stage.reset();
        }
        self.high_rate.fill(0.0);
        self.intermediate.fill(0.0);
    }

    /// Round-trip (upsample then downsample) delay to report to the host, base-rate samples: 0 for
    /// minimum phase, the exact whole-sample delay of the cascade for linear phase.
    pub fn latency(&self) -> u32 {
        self.latency
    }

    /// Where the round trip's impulse arrives (base-rate samples), as a person aligning waveforms
    /// would read it: [`Oversampler::latency`] for linear phase; for minimum phase the analytic
    /// low-frequency group delay (at 1/48 of the base rate) rounded to whole samples, a delay the
    /// cascade has but deliberately does not report.
    pub fn alignment_delay(&self) -> u32 {
        match self.flavour {
            FilterFlavour::LinearPhase => self.latency,
            FilterFlavour::MinimumPhase => {
                self.group_delay(1000.0, 48_000.0).round().max(0.0) as u32
            }
        }
    }

    /// The oversampling ratio (1, 2, 4, 8 or 16).
    pub fn factor(&self) -> usize {
        self.factor.ratio()
    }

    /// The oversampling factor chosen at construction.
    pub fn oversampling_factor(&self) -> OversamplingFactor {
        self.factor
    }

    /// The filter flavour chosen at construction.
    pub fn flavour(&self) -> FilterFlavour {
        self.flavour
    }

    /// The largest block `upsample`/`downsample` accept, base-rate samples.
    pub fn max_block(&self) -> usize {
        self.max_block
    }

    /// Upsamples `input` (at most [`Oversampler::max_block`] samples) into the internal high-rate buffer
    /// and returns it (`input.len() * factor` samples, pass-band gain 1).
    ///
    /// # Panics
    /// If `input` is longer than the prepared maximum block.
    pub fn upsample(&mut self, input: &[f32]) -> &mut [f32] {
        let length = self.condition_input(input);
        for index in 0..self.stages.len() {
            let (stage, source, destination) = self.upsample_step(index, length);
            stage.upsample(source, destination);
        }
        &mut self.high_rate[..length * self.factor.ratio()]
    }

    /// Checks the block length and copies `input`, sanitised, into the conditioned-input buffer
    /// (straight into the high-rate buffer at 1×). Returns the length.
    fn condition_input(&mut self, input: &[f32]) -> usize {
        let length = input.len();
        assert!(
            length <= self.max_block,
            "Oversampler::upsample: block of {length} samples exceeds the prepared maximum of {}",
            self.max_block
        );
        for (conditioned, &sample) in self.conditioned_input.iter_mut().zip(input) {
            // `sanitize` also flushes denormals (everything below the denormal floor).
            *conditioned = sanitize(sample);
        }
        if self.stages.is_empty() {
            self.high_rate[..length].copy_from_slice(&self.conditioned_input[..length]);
        }
        length
    }

    /// Upsampling stage `index` of a block of `length` base-rate samples, with the buffer it reads
    /// and the one it writes. Stages alternate between the two buffers so that the last one writes
    /// the high-rate buffer.
    fn upsample_step(
        &mut self,
        index: usize,
        length: usize,
    ) -> (&mut HalfBandStage, &[f32], &mut [f32]) {
        let current = length << index;
        let writes_high_rate = (self.stages.len() - 1 - index).is_multiple_of(2);
        let (source, destination) = match (index == 0, writes_high_rate) {
            (true, true) => (&self.conditioned_input, &mut self.high_rate),
            (true, false) => (&self.conditioned_input, &mut self.intermediate),
            (false, true) => (&self.intermediate, &mut self.high_rate),
            (false, false) => (&self.high_rate, &mut self.intermediate),
        };
        (
            &mut self.stages[index],
            &source[..current],
            &mut destination[..2 * current],
        )
    }

    /// Upsamples two channels at once, as [`Oversampler::upsample`] on each. Minimum-phase pairs run
    /// in shared SIMD lanes, at about the cost of one channel, bit-identical to the mono path.
    /// `left` and `right` should have the same factor and flavour (two channels of one plugin);
    /// otherwise each is simply upsampled on its own.
    ///
    /// # Panics
    /// If the inputs differ in length or exceed a prepared maximum block.
    pub fn upsample_pair<'a>(
        left: &'a mut Self,
        right: &'a mut Self,
        left_input: &[f32],
        right_input: &[f32],
    ) -> (&'a mut [f32], &'a mut [f32]) {
        assert_eq!(
            left_input.len(),
            right_input.len(),
            "Oversampler::upsample_pair: the channels' blocks differ in length"
        );
        if left.stages.len() != right.stages.len() {
            return (left.upsample(left_input), right.upsample(right_input));
        }
        let length = left.condition_input(left_input);
        right.condition_input(right_input);
        for index in 0..left.stages.len() {
            let (left_stage, left_source, left_destination) = left.upsample_step(index, length);
            let (right_stage, right_source, right_destination) = right.upsample_step(index, length);
            HalfBandStage::process_pair(
                Direction::Up,
                left_stage,
                right_stage,
                (left_source, right_source),
                (left_destination, right_destination),
            );
        }
        let high_length = length * left.factor.ratio();
        (
            &mut left.high_rate[..high_length],
            &mut right.high_rate[..high_length],
        )
    }

    /// Downsamples the internal high-rate buffer (its first `output.len() * factor` samples, as left by
    /// [`Oversampler::upsample`] and the caller's processing) into `output`.
    ///
    /// # Panics
    /// If `output` is longer than the prepared maximum block.
    pub fn downsample(&mut self, output: &mut [f32]) {
        let length = self.condition_high_rate(output);
        for index in (0..self.stages.len()).rev() {
            let (stage, source, destination) = self.downsample_step(index, length);
            stage.downsample(source, destination.unwrap_or(&mut *output));
        }
    }

    /// Checks the block length and sanitises the high-rate buffer in place (at 1× copies it
    /// straight to `output`). Returns the length.
    fn condition_high_rate(&mut self, output: &mut [f32]) -> usize {
        let length = output.len();
        assert!(
            length <= self.max_block,
            "Oversampler::downsample: block of {length} samples exceeds the prepared maximum of {}",
            self.max_block
        );
        for sample in self.high_rate[..length * self.factor.ratio()].iter_mut() {
            *sample = sanitize(*sample);
        }
        if self.stages.is_empty() {
            output.copy_from_slice(&self.high_rate[..length]);
        }
        length
    }

    /// Downsampling stage `index` of a block of `length` base-rate samples, with the buffer it
    /// reads and the one it writes: `None` for the first stage, which writes the caller's output.
    fn downsample_step(
        &mut self,
        index: usize,
        length: usize,
    ) -> (&mut HalfBandStage, &[f32], Option<&mut [f32]>) {
        let current = length << (index + 1);
        let reads_high_rate = (self.stages.len() - 1 - index).is_multiple_of(2);
        let (source, destination) = if reads_high_rate {
            (&self.high_rate, &mut self.intermediate)
        } else {
            (&self.intermediate, &mut self.high_rate)
        };
        let destination = (index > 0).then(|| &mut destination[..current / 2]);
        (&mut self.stages[index], &source[..current], destination)
    }

    /// Downsamples two channels at once, as [`Oversampler::downsample`] on each; the counterpart of
    /// [`Oversampler::upsample_pair`].
    ///
    /// # Panics
    /// If the outputs differ in length or exceed a prepared maximum block.
    pub fn downsample_pair(
        left: &mut Self,
        right: &mut Self,
        left_output: &mut [f32],
        right_output: &mut [f32],
    ) {
        assert_eq!(
            left_output.len(),
            right_output.len(),
            "Oversampler::downsample_pair: the channels' blocks differ in length"
        );
        if left.stages.len() != right.stages.len() {
            left.downsample(left_output);
            right.downsample(right_output);
            return;
        }
        let length = left.condition_high_rate(left_output);
        right.condition_high_rate(right_output);
        for index in (0..left.stages.len()).rev() {
            let (left_stage, left_source, left_destination) = left.downsample_step(index, length);
            let (right_stage, right_source, right_destination) =
                right.downsample_step(index, length);
            HalfBandStage::process_pair(
                Direction::Down,
                left_stage,
                right_stage,
                (left_source, right_source),
                (
                    left_destination.unwrap_or(&mut *left_output),
                    right_destination.unwrap_or(&mut *right_output),
                ),
            );
        }
    }

    /// Upsamples `block`, runs `stage` on the high-rate signal in place, and downsamples back into
    /// `block`. Blocks longer than the prepared maximum are processed in chunks of that size.
    pub fn process_block(&mut self, block: &mut [f32], mut stage: impl FnMut(&mut [f32])) {
        let chunk_length = self.max_block;
        for chunk in block.chunks_mut(chunk_length) {
            stage(self.upsample(chunk));
            self.downsample(chunk);
        }
    }

    /// Analytic round-trip (upsample → downsample, nothing in between) transfer function at
    /// `frequency_hz` for a base rate of `base_sample_rate` Hz: the product over the stages of
    /// `H_s(f)²` (times each decimator's phase advance). The aliased terms the decimators fold back
    /// (below −200 dB in the pass band) are left out. Its `norm()` is the round-trip magnitude.
    pub fn response(&self, frequency_hz: f64, base_sample_rate: f64) -> Complex64 {
        self.stages
            .iter()
            .enumerate()
            .map(|(index, stage)| {
                let stage_rate = base_sample_rate * (2usize << index) as f64;
                stage.round_trip_response(frequency_hz / stage_rate)
            })
            .fold(Complex64::new(1.0, 0.0), |product, response| {
                product * response
            })
    }

    /// Round-trip group delay at `frequency_hz` (base rate `base_sample_rate` Hz), base-rate samples,
    /// from the analytic phase: `−dφ/dω` by a central difference. For linear phase this equals
    /// [`Oversampler::latency`] at every pass-band frequency; for minimum phase it is the small delay
    /// the IIR half-bands add at low frequencies, which is deliberately not reported.
    pub fn group_delay(&self, frequency_hz: f64, base_sample_rate: f64) -> f64 {
        let step_hz = base_sample_rate * 1.0e-5;
        let lower = self.response((frequency_hz - step_hz).max(0.0), base_sample_rate);
        let upper = self.response(frequency_hz + step_hz, base_sample_rate);
        let phase_step = (upper / lower).arg();
        let angle_step = 2.0
            * std::f64::consts::PI
            * ((frequency_hz + step_hz) - (frequency_hz - step_hz).max(0.0))
            / base_sample_rate;
        -phase_step / angle_step
    }

    /// The stop-band attenuation of the cascade, dB (positive): the weakest stage's. For minimum phase,
    /// what the f32 allpass coefficients reach (104.0 dB for the first stage; the elliptic formula
    /// gives 104.1 dB before rounding); for linear phase, the 100 dB every equiripple stage is designed
    /// and checked for. Infinite for [`OversamplingFactor::X1`], which has no filters.
    pub fn stopband_attenuation_db(&self) -> f64 {
        self.stages
            .iter()
            .map(|stage| match stage {
                HalfBandStage::IirEight(stage) => stage.stopband_attenuation_db(),
                HalfBandStage::IirFour(stage) => stage.stopband_attenuation_db(),
                HalfBandStage::IirThree(stage) => stage.stopband_attenuation_db(),
                HalfBandStage::IirTwo(stage) => stage.stopband_attenuation_db(),
                HalfBandStage::Fir(_) => LINEAR_PHASE_ATTENUATION_DB,
            })
            .fold(f64::INFINITY, f64::min)
    }
}
