//! The preamp's tone controls: a switchable low-cut (12 or 18 dB/octave Butterworth) and a
//! three-band EQ (low shelf, sweepable mid bell, high shelf), all on TPT state-variable filters so
//! they can be automated without zipper noise or instability.

use realfft::num_complex::Complex64;

use crate::Processor;
use crate::filter::one_pole::OnePole;
use crate::filter::svf::Svf;
use crate::ramp::LinearRamp;

/// Low-cut frequency range, Hz.
pub const LOW_CUT_RANGE_HZ: (f32, f32) = (20.0, 400.0);
/// EQ gain range, dB (symmetric).
pub const EQ_GAIN_RANGE_DB: f32 = 15.0;
/// Mid bell frequency range, Hz.
pub const MID_FREQUENCY_RANGE_HZ: (f32, f32) = (100.0, 8_000.0);
/// Mid bell Q range.
pub const MID_Q_RANGE: (f32, f32) = (0.3, 6.0);
/// Low shelf corner (mid-gain point), Hz.
pub const LOW_SHELF_HZ: f32 = 100.0;
/// High shelf corner (mid-gain point), Hz.
pub const HIGH_SHELF_HZ: f32 = 10_000.0;
/// Shelf slope: Q of the shelving SVFs (0.707 = the steepest slope without overshoot).
const SHELF_Q: f32 = std::f32::consts::FRAC_1_SQRT_2;
/// Time constant of the parameter smoothing, seconds.
const SMOOTHING_SECONDS: f32 = 0.015;
/// Time for switching the low-cut in or out, seconds.
const LOW_CUT_FADE_SECONDS: f32 = 0.01;
/// Coefficients are recomputed every this many samples while a parameter moves.
const UPDATE_INTERVAL: u32 = 4;

/// Low-cut slope.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LowCutSlope {
    /// 2nd-order Butterworth high-pass.
    Db12,
    /// 3rd-order Butterworth high-pass (2nd-order Q = 1 section and a 1st-order section).
    Db18,
}

/// Low-cut settings.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LowCutSettings {
    /// Whether the low-cut is in.
    pub enabled: bool,
    /// −3 dB frequency in Hz, 20–400.
    pub frequency_hz: f32,
    /// Slope.
    pub slope: LowCutSlope,
}

impl LowCutSettings {
    /// Low-cut out (the frequency stays where a user would expect to find it).
    pub const OFF: Self = Self {
        enabled: false,
        frequency_hz: 80.0,
        slope: LowCutSlope::Db12,
    };

    /// Low-cut in at `frequency_hz` with `slope`.
    pub fn at(frequency_hz: f32, slope: LowCutSlope) -> Self {
        Self {
            enabled: true,
            frequency_hz,
            slope,
        }
    }
}

/// EQ settings.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EqSettings {
    /// Low shelf gain at [`LOW_SHELF_HZ`], dB (±15).
    pub low_gain_db: f32,
    /// Mid bell gain, dB (±15).
    pub mid_gain_db: f32,
    /// Mid bell centre, Hz (100–8000).
    pub mid_frequency_hz: f32,
    /// Mid bell Q (0.3–6).
    pub mid_q: f32,
    /// High shelf gain at [`HIGH_SHELF_HZ`], dB (±15).
    pub high_gain_db: f32,
}

impl EqSettings {
    /// All bands at 0 dB.
    pub const FLAT: Self = Self {
        low_gain_db: 0.0,
        mid_gain_db: 0.0,
        mid_frequency_hz: 1_000.0,
        mid_q: 0.7,
        high_gain_db: 0.0,
    };

    /// True when every band is at 0 dB (the EQ is then an identity).
    pub fn is_flat(&self) -> bool {
        self.low_gain_db == 0.0 && self.mid_gain_db == 0.0 && self.high_gain_db == 0.0
    }
}

/// The smoothed, continuously variable parameters of the tone section, in their smoothing domain
/// (frequencies and Q as natural logs, gains in dB).
#[derive(Clone, Copy, Debug, PartialEq)]
struct ToneState {
    low_cut_log_hz: f32,
    low_gain_db: f32,
    mid_gain_db: f32,
    mid_log_hz: f32,
    mid_log_q: f32,
    high_gain_db: f32,
}

impl ToneState {
    fn from_settings(low_cut: &LowCutSettings, eq: &EqSettings) -> Self {
        Self {
            low_cut_log_hz: low_cut
                .frequency_hz
                .clamp(LOW_CUT_RANGE_HZ.0, LOW_CUT_RANGE_HZ.1)
                .ln(),
            low_gain_db: eq.low_gain_db.clamp(-EQ_GAIN_RANGE_DB, EQ_GAIN_RANGE_DB),
            mid_gain_db: eq.mid_gain_db.clamp(-EQ_GAIN_RANGE_DB, EQ_GAIN_RANGE_DB),
            mid_log_hz: eq
                .mid_frequency_hz
                .clamp(MID_FREQUENCY_RANGE_HZ.0, MID_FREQUENCY_RANGE_HZ.1)
                .ln(),
            mid_log_q: eq.mid_q.clamp(MID_Q_RANGE.0, MID_Q_RANGE.1).ln(),
            high_gain_db: eq.high_gain_db.clamp(-EQ_GAIN_RANGE_DB, EQ_GAIN_RANGE_DB),
        }
    }

    fn as_array(&self) -> [f32; 6] {
        [
            self.low_cut_log_hz,
            self.low_gain_db,
            self.mid_gain_db,
            self.mid_log_hz,
            self.mid_log_q,
            self.high_gain_db,
        ]
    }

    fn from_array(values: [f32; 6]) -> Self {
        Self {
            low_cut_log_hz: values[0],
            low_gain_db: values[1],
            mid_gain_db: values[2],
            mid_log_hz: values[3],
            mid_log_q: values[4],
            high_gain_db: values[5],
        }
    }
}

/// The filters of one tone section, configured for one [`ToneState`]. Both low-cut slopes have
/// their own filters so a slope change can cross-fade instead of re-tuning a running filter.
#[derive(Clone, Debug)]
struct ToneFilters {
    /// The 12 dB/octave low-cut: a Butterworth (Q = 0.707) second-order high-pass.
    low_cut_twelve: Svf,
    /// The 18 dB/octave low-cut's second-order section (Q = 1) …
    low_cut_second_order: Svf,
    /// … and its first-order section.
    low_cut_first_order: OnePole,
    low_shelf: Svf,
    mid_bell: Svf,
    high_shelf: Svf,
}

impl ToneFilters {
    fn new(sample_rate: f32, state: &ToneState) -> Self {
        let mut filters = Self {
            low_cut_twelve: Svf::highpass(sample_rate, 80.0, SHELF_Q),
            low_cut_second_order: Svf::highpass(sample_rate, 80.0, 1.0),
            low_cut_first_order: OnePole::highpass(sample_rate, 80.0),
            low_shelf: Svf::low_shelf(sample_rate, LOW_SHELF_HZ, SHELF_Q, 0.0),
            mid_bell: Svf::bell(sample_rate, 1_000.0, 0.7, 0.0),
            high_shelf: Svf::high_shelf(sample_rate, HIGH_SHELF_HZ, SHELF_Q, 0.0),
        };
        filters.configure(state);
        filters
    }

    fn configure(&mut self, state: &ToneState) {
        let low_cut_hz = state.low_cut_log_hz.exp();
        self.low_cut_twelve.set_params(low_cut_hz, SHELF_Q, 0.0);
        self.low_cut_second_order.set_params(low_cut_hz, 1.0, 0.0);
        self.low_cut_first_order.set_cutoff(low_cut_hz);
        self.low_shelf
            .set_params(LOW_SHELF_HZ, SHELF_Q, state.low_gain_db);
        self.mid_bell.set_params(
            state.mid_log_hz.exp(),
            state.mid_log_q.exp(),
            state.mid_gain_db,
        );
        self.high_shelf
            .set_params(HIGH_SHELF_HZ, SHELF_Q, state.high_gain_db);
    }

    fn low_cut_response(&self, slope: LowCutSlope, frequency_hz: f64) -> Complex64 {
        match slope {
            LowCutSlope::Db12 => self.low_cut_twelve.response(frequency_hz),
            LowCutSlope::Db18 => {
                self.low_cut_second_order.response(frequency_hz)
                    * self.low_cut_first_order.response(frequency_hz)
            }
        }
    }

    /// The 12 dB/octave low-cut on `input`.
    #[inline]
    fn low_cut_twelve(&mut self, input: f32) -> f32 {
        self.low_cut_twelve.process_sample(input)
    }

    /// The 18 dB/octave low-cut on `input`.
    #[inline]
    fn low_cut_eighteen(&mut self, input: f32) -> f32 {
        self.low_cut_first_order
            .process_sample(self.low_cut_second_order.process_sample(input))
    }

    fn reset_twelve(&mut self) {
        self.low_cut_twelve.reset();
    }

    fn reset_eighteen(&mut self) {
        self.low_cut_second_order.reset();
        self.low_cut_first_order.reset();
    }

    fn eq_response(&self, frequency_hz: f64) -> Complex64 {
        self.low_shelf.response(frequency_hz)
            * self.mid_bell.response(frequency_hz)
            * self.high_shelf.response(frequency_hz)
    }
}

/// Low-cut and EQ for one channel, smoothed per sample.
#[derive(Clone, Debug)]
pub struct ToneSection {
    sample_rate: f32,
    low_cut: LowCutSettings,
    eq: EqSettings,
    target: ToneState,
    present: ToneState,
    smoothing_coefficient: f32,
    samples_to_update: u32,
    low_cut_mix: LinearRamp,
    /// Share of the 18 dB/octave path in the low-cut (0 = 12 dB/octave, 1 = 18 dB/octave).
    slope_mix: LinearRamp,
    eq_active: bool,
    filters: ToneFilters,
}

impl ToneSection {
    /// A tone section at `sample_rate` Hz with the low-cut out and the EQ flat.
    pub fn new(sample_rate: f32) -> Self {
        let low_cut = LowCutSettings::OFF;
        let eq = EqSettings::FLAT;
        let state = ToneState::from_settings(&low_cut, &eq);
        let mut section = Self {
            sample_rate,
            low_cut,
            eq,
            target: state,
            present: state,
            smoothing_coefficient: 0.0,
            samples_to_update: 0,
            low_cut_mix: LinearRamp::default(),
            slope_mix: LinearRamp::default(),
            eq_active: false,
            filters: ToneFilters::new(sample_rate, &state),
        };
        section.prepare(sample_rate, 0);
        section
    }

    /// Sets the targets; moves are smoothed, switching the low-cut in or out or changing its
    /// slope cross-fades.
    pub fn set_settings(&mut self, low_cut: LowCutSettings, eq: EqSettings) {
        self.low_cut = low_cut;
        self.eq = eq;
        self.target = ToneState::from_settings(&low_cut, &eq);
        self.low_cut_mix
            .set_target(if low_cut.enabled { 1.0 } else { 0.0 });
        self.slope_mix.set_target(slope_share(low_cut.slope));
    }

    /// The settings last given.
    pub fn settings(&self) -> (LowCutSettings, EqSettings) {
        (self.low_cut, self.eq)
    }

    /// True while a parameter is still moving towards its target.
    pub fn is_smoothing(&self) -> bool {
        self.present != self.target || self.low_cut_mix.is_ramping() || self.slope_mix.is_ramping()
    }

    /// The response the section will have once it has settled on its targets.
    pub fn target_response(&self, frequency_hz: f64) -> Complex64 {
        settings_response(&self.low_cut, &self.eq, self.sample_rate, frequency_hz)
    }

    /// Advances the smoothing by one sample; recomputes coefficients every few samples.
    #[inline]
    fn advance_smoothing(&mut self) {
        if self.present == self.target {
            return;
        }
        if self.samples_to_update > 0 {
            self.samples_to_update -= 1;
            return;
        }
        self.samples_to_update = UPDATE_INTERVAL - 1;
        let coefficient = self.smoothing_coefficient;
        let mut present = self.present.as_array();
        let target = self.target.as_array();
        for (value, goal) in present.iter_mut().zip(target) {
            let moved = *value + coefficient * (goal - *value);
            *value = if (goal - moved).abs() < 1e-4 {
                goal
            } else {
                moved
            };
        }
        self.present = ToneState::from_array(present);
        self.filters.configure(&self.present);
        self.eq_active = true;
    }
}

/// The share of the 18 dB/octave path for `slope`.
fn slope_share(slope: LowCutSlope) -> f32 {
    match slope {
        LowCutSlope::Db12 => 0.0,
        LowCutSlope::Db18 => 1.0,
    }
}

/// The response of a tone section with `low_cut` and `eq` at `sample_rate` (Hz), for plots and
/// level matching.
pub fn settings_response(
    low_cut: &LowCutSettings,
    eq: &EqSettings,
    sample_rate: f32,
    frequency_hz: f64,
) -> Complex64 {
    ToneResponse::new(low_cut, eq, sample_rate).at(frequency_hz)
}

/// The response of a tone section with fixed settings, designed once and evaluated at many
/// frequencies (no allocation).
#[derive(Clone, Debug)]
pub struct ToneResponse {
    low_cut: LowCutSettings,
    filters: ToneFilters,
}

impl ToneResponse {
    /// The response of `low_cut` and `eq` at `sample_rate` (Hz).
    pub fn new(low_cut: &LowCutSettings, eq: &EqSettings, sample_rate: f32) -> Self {
        let state = ToneState::from_settings(low_cut, eq);
        Self {
            low_cut: *low_cut,
            filters: ToneFilters::new(sample_rate, &state),
        }
    }

    /// The exact response at `frequency_hz`.
    pub fn at(&self, frequency_hz: f64) -> Complex64 {
        let low_cut_response = if self.low_cut.enabled {
            self.filters
                .low_cut_response(self.low_cut.slope, frequency_hz)
        } else {
            Complex64::new(1.0, 0.0)
        };
        low_cut_response * self.filters.eq_response(frequency_hz)
    }
}

impl Processor for ToneSection {
    fn prepare(&mut self, sample_rate: f32, _max_block: usize) {
        self.sample_rate = sample_rate;
        let samples_per_update = UPDATE_INTERVAL as f32;
        self.smoothing_coefficient =
            1.0 - (-samples_per_update / (SMOOTHING_SECONDS * sample_rate)).exp();
        self.low_cut_mix.prepare(sample_rate, LOW_CUT_FADE_SECONDS);
        self.slope_mix.prepare(sample_rate, LOW_CUT_FADE_SECONDS);
        self.reset();
    }

    fn reset(&mut self) {
        self.present = self.target;
        self.filters = ToneFilters::new(self.sample_rate, &self.present);
        self.low_cut_mix
            .settle(if self.low_cut.enabled { 1.0 } else { 0.0 });
        self.slope_mix.settle(slope_share(self.low_cut.slope));
        self.eq_active = !self.eq.is_flat();
        self.samples_to_update = 0;
    }

    #[inline]
    fn process_sample(&mut self, input: f32) -> f32 {
        self.advance_smoothing();
        let mut signal = input;
        let low_cut_amount = self.low_cut_mix.advance();
        if low_cut_amount > 0.0 {
            let eighteen_share = self.slope_mix.advance();
            let filtered = if eighteen_share <= 0.0 {
                self.filters.reset_eighteen();
                self.filters.low_cut_twelve(signal)
            } else if eighteen_share >= 1.0 {
                self.filters.reset_twelve();
                self.filters.low_cut_eighteen(signal)
            } else {
                let twelve = self.filters.low_cut_twelve(signal);
                let eighteen = self.filters.low_cut_eighteen(signal);
                twelve + eighteen_share * (eighteen - twelve)
            };
            signal += low_cut_amount * (filtered - signal);
        } else if self.low_cut_mix.target() == 0.0 {
            // Out and faded: nothing to keep; a slope change needs no fade.
            self.filters.reset_twelve();
            self.filters.reset_eighteen();
            self.slope_mix.settle(self.slope_mix.target());
        }
        if self.eq_active {
            signal = self.filters.low_shelf.process_sample(signal);
            signal = self.filters.mid_bell.process_sample(signal);
            signal = self.filters.high_shelf.process_sample(signal);
            if self.present == self.target && self.eq.is_flat() {
                // Flat and settled: the bands are identities; stop running them.
                self.eq_active = false;
                self.filters.low_shelf.reset();
                self.filters.mid_bell.reset();
                self.filters.high_shelf.reset();
            }
        }
        signal
    }

    /// Processes `block` in place: sample by sample while anything moves, otherwise with the
    /// settled filters only (no ramps or smoothing checks per sample).
    fn process_block(&mut self, block: &mut [f32]) {
        if self.is_smoothing() {
            for sample in block.iter_mut() {
                *sample = self.process_sample(*sample);
            }
            return;
        }
        if self.low_cut_mix.value() > 0.0 {
            // Settled in: the mix is 1 and the slope share is 0 or 1.
            if self.slope_mix.value() <= 0.0 {
                self.filters.low_cut_twelve.process_block(block);
            } else {
                for sample in block.iter_mut() {
                    *sample = self.filters.low_cut_eighteen(*sample);
                }
            }
        }
        if self.eq_active {
            self.filters.low_shelf.process_block(block);
            self.filters.mid_bell.process_block(block);
            self.filters.high_shelf.process_block(block);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn magnitude_db(response: Complex64) -> f64 {
        20.0 * response.norm().log10()
    }

    #[test]
    fn low_cut_minus_3_db_point_sits_at_the_set_frequency_for_both_slopes() {
        for slope in [LowCutSlope::Db12, LowCutSlope::Db18] {
            for frequency in [20.0, 80.0, 400.0] {
                let settings = LowCutSettings::at(frequency, slope);
                let level = magnitude_db(settings_response(
                    &settings,
                    &EqSettings::FLAT,
                    48_000.0,
                    f64::from(frequency),
                ));
                assert!(
                    (level + 3.01).abs() < 0.05,
                    "{slope:?} low-cut at {frequency} Hz: {level:.3} dB at the set frequency"
                );
            }
        }
    }

    #[test]
    fn eq_bands_reach_their_set_gains() {
        let eq = EqSettings {
            low_gain_db: 12.0,
            mid_gain_db: -9.0,
            mid_frequency_hz: 1_000.0,
            mid_q: 1.0,
            high_gain_db: 6.0,
        };
        let response = |frequency| {
            magnitude_db(settings_response(
                &LowCutSettings::OFF,
                &eq,
                48_000.0,
                frequency,
            ))
        };
        let low = response(20.0);
        let mid = response(1_000.0);
        let high = response(20_000.0);
        assert!(
            (low - 12.0).abs() < 0.6,
            "low shelf +12 dB: {low:.2} dB at 20 Hz"
        );
        assert!((mid + 9.0).abs() < 0.3, "mid −9 dB: {mid:.2} dB at 1 kHz");
        assert!(
            (high - 6.0).abs() < 0.6,
            "high shelf +6 dB: {high:.2} dB at 20 kHz"
        );
    }
}
