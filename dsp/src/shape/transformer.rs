//! A 1:1 audio transformer in the flux domain: the core's nonlinear magnetising current, drawn
//! through the source and winding resistance, is what distorts.
//!
//! Physics (Whitlock, "Audio Transformers", in Ballou (ed.), Handbook for Sound Engineers):
//! the core flux linkage `λ` is the integral of the voltage across the magnetising inductance; the
//! magnetising current `i = g(λ)` is a nonlinear function of flux; flowing through the total series
//! resistance `R = R_source + R_winding` it drops `R·i`, and what is left is the output:
//!
//! ```text
//! dλ/dt = v_in − R·g(λ),        v_out = v_in − R·g(λ) = dλ/dt        (unloaded secondary, 1:1)
//! ```
//!
//! The linear part of `g` (λ/L0) makes the integral leaky and DC-free by itself: it is the
//! transformer's low-frequency roll-off, corner R/(2π·L0) ≈ 2 Hz for the reference part. The flux
//! for a given voltage is inversely proportional to frequency, so the distortion rises as frequency
//! falls, and since `g` is odd it is odd-harmonic, mostly the 3rd.
//!
//! Core law: Frohlich–Kennelly (reluctivity linear in field, `B = H/(a + b·|H|)`; Kennelly,
//! "Magnetic reluctance", 1891) plus the air-path inductance left once the iron is saturated:
//!
//! ```text
//! λ(i) = Λs · x/(1 + |x|) + L_air · i,      x = i/I_c,   I_c = Λs/L0
//! ```
//!
//! Inverted in closed form (a quadratic per sign) for `g(λ)`. Its low-flux expansion
//! `g(λ) ≈ (λ/L0)·(1 + |λ|/Λs + …)` has the `λ·|λ|` term that makes the 3rd harmonic grow in
//! proportion to level and fall about 12 dB per octave of frequency (the flux halves per octave, and
//! so does the current's share of the voltage), as Whitlock describes; at high flux the saturation
//! makes it grow much faster.
//!
//! Discretisation: backward Euler, which for the monotone `g` is unconditionally stable. With the
//! flux predictor `p[n] = λ[n−1] + T·v[n]` the implicit step `λ[n] = p[n] − T·R·g(λ[n])` has the
//! static solution `i[n] = J(p[n])`, `J = g(p − T·R·J)`, tabulated in `prepare` for the sample
//! period `T` (a [`TabulatedCurve`] with exact slopes, read through its [`CurveValues`]). Per
//! sample: one table lookup. The nonlinearity acts on the flux, which is the integral of the
//! signal, so its harmonics are already attenuated by 1/frequency and aliasing is far below that
//! of the other stages; no ADAA is applied (its half-sample delay would sit inside the implicit
//! loop).
//!
//! Calibration: the reference part (core size 1, L0 = 20 H, source 200 Ω + winding 50 Ω) gives
//! about 0.03 % THD at +26 dBu (21.9 V peak), 60 Hz, the figure DESIGN.md states for a good line
//! transformer; the 1 % point at 20 Hz is about +33 dBu. Level mapping: `process_sample` takes
//! the primary voltage in volts and returns the secondary voltage in volts (1:1).

use super::adaa::{CurveValues, TabulatedCurve};
use super::solve::root_of_increasing;
use crate::Processor;
use crate::guard::sanitize;
use std::sync::Mutex;

/// Primary inductance of the reference core at low flux, henries.
pub const REFERENCE_INDUCTANCE: f64 = 20.0;
/// Frohlich–Kennelly saturation flux linkage of the reference core, volt-seconds (calibrated so the
/// reference part reads 0.03 % THD at +26 dBu, 60 Hz).
pub const REFERENCE_SATURATION_FLUX: f64 = 1.13;
/// Air-path inductance as a fraction of the low-flux inductance (the iron's permeability over air).
pub const AIR_INDUCTANCE_RATIO: f64 = 1.0e-3;

/// Design values of the transformer.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TransformerSettings {
    /// Core size relative to the reference line transformer (1.0). Both the inductance and the
    /// saturation flux scale with it, so the distortion at a given level scales as 1/size².
    pub core_size: f64,
    /// Resistance of the source driving the primary, ohms.
    pub source_resistance: f64,
    /// Resistance of the windings, ohms.
    pub winding_resistance: f64,
}

impl TransformerSettings {
    /// The reference good line transformer: size 1, 200 Ω source, 50 Ω windings.
    pub fn line_transformer() -> Self {
        Self {
            core_size: 1.0,
            source_resistance: 200.0,
            winding_resistance: 50.0,
        }
    }

    /// Total series resistance the magnetising current flows through, ohms.
    pub fn series_resistance(&self) -> f64 {
        (self.source_resistance + self.winding_resistance).max(0.0)
    }
}

/// The core's magnetising law: flux linkage ↔ current.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CoreLaw {
    /// Saturation flux linkage Λs, volt-seconds.
    pub saturation_flux: f64,
    /// Low-flux inductance L0, henries.
    pub inductance: f64,
    /// Inductance left when saturated, henries.
    pub air_inductance: f64,
}

impl CoreLaw {
    /// The core of a transformer of the given size (see [`TransformerSettings::core_size`]).
    pub fn for_size(core_size: f64) -> Self {
        let size = core_size.max(1.0e-3);
        Self {
            saturation_flux: REFERENCE_SATURATION_FLUX * size,
            inductance: REFERENCE_INDUCTANCE * size,
            air_inductance: REFERENCE_INDUCTANCE * size * AIR_INDUCTANCE_RATIO,
        }
    }

    fn characteristic_current(&self) -> f64 {
        self.saturation_flux / self.inductance
    }

    /// Flux linkage (V·s) for a magnetising current (A).
    pub fn flux(&self, current: f64) -> f64 {
        let normalised = current / self.characteristic_current();
        self.saturation_flux * normalised / (1.0 + normalised.abs()) + self.air_inductance * current
    }

    /// Magnetising current (A) for a flux linkage (V·s): the inverse of [`CoreLaw::flux`], closed
    /// form from `a·x² + (Λs + a − |λ|)·x − |λ| = 0` with `a = L_air·I_c`.
    pub fn current(&self, flux: f64) -> f64 {
        let magnitude = flux.abs();
        let air = self.air_inductance * self.characteristic_current();
        let linear = self.saturation_flux + air - magnitude;
        let discriminant = (linear * linear + 4.0 * air * magnitude).sqrt();
        // Pick the cancellation-free form of the positive root.
        let normalised = if linear > 0.0 {
            2.0 * magnitude / (linear + discriminant)
        } else {
            (discriminant - linear) / (2.0 * air)
        };
        (normalised * self.characteristic_current()).copysign(flux)
    }

    /// Incremental inverse inductance dI/dλ (1/H) at a flux linkage.
    pub fn current_slope(&self, flux: f64) -> f64 {
        let normalised = self.current(flux).abs() / self.characteristic_current();
        let flux_slope = self.inductance / (1.0 + normalised).powi(2) + self.air_inductance;
        1.0 / flux_slope
    }
}

/// Table range for the flux predictor, in units of the saturation flux; beyond it the core is
/// air-cored and the law is linear, which the table's linear extrapolation continues exactly.
const PREDICTOR_RANGE_IN_SATURATION_FLUX: f64 = 6.0;
/// Segments of the predictor table (even, so that flux 0 is a node).
const SEGMENTS: usize = 2048;

/// The flux-domain transformer.
#[derive(Clone, Debug)]
pub struct TransformerStage {
    settings: TransformerSettings,
    core: CoreLaw,
    sample_period: f64,
    series_resistance: f64,
    current_of_predictor: CurveValues,
    flux: f64,
}

impl TransformerStage {
    /// The reference line transformer ([`TransformerSettings::line_transformer`]).
    pub fn line_transformer() -> Self {
        Self::with_settings(TransformerSettings::line_transformer())
    }

    /// A transformer with the given settings, prepared for 192 kHz until `prepare` says otherwise.
    pub fn with_settings(settings: TransformerSettings) -> Self {
        let core = CoreLaw::for_size(settings.core_size);
        let sample_period = 1.0 / 192_000.0;
        let series_resistance = settings.series_resistance();
        Self {
            settings,
            core,
            sample_period,
            series_resistance,
            current_of_predictor: Self::predictor_table(core, sample_period, series_resistance),
            flux: 0.0,
        }
    }

    /// Tabulates `J(p)`, the backward-Euler magnetising current for a flux predictor `p`; each
    /// (core, sample period, resistance) is solved once per process and then copied, since every
    /// channel and quality of a plugin asks for the same few tables on every activation.
    fn predictor_table(core: CoreLaw, sample_period: f64, resistance: f64) -> CurveValues {
        type Key = [u64; 5];
        static SOLVED: Mutex<Vec<(Key, CurveValues)>> = Mutex::new(Vec::new());
        let key = [
            core.saturation_flux.to_bits(),
            core.inductance.to_bits(),
            core.air_inductance.to_bits(),
            sample_period.to_bits(),
            resistance.to_bits(),
        ];
        let mut solved = SOLVED
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some((_, table)) = solved.iter().find(|(found, _)| *found == key) {
            return table.clone();
        }
        let table = Self::solve_predictor_table(core, sample_period, resistance).values();
        solved.push((key, table.clone()));
        table
    }

    fn solve_predictor_table(core: CoreLaw, sample_period: f64, resistance: f64) -> TabulatedCurve {
        let damping = sample_period * resistance;
        let solve = move |predictor: f64| {
            let magnitude = predictor.abs();
            let current = root_of_increasing(
                |current| current - core.current(magnitude - damping * current),
                0.0,
                core.current(magnitude),
            );
            current.copysign(predictor)
        };
        let slope = move |predictor: f64| {
            let current = solve(predictor);
            let inverse_inductance = core.current_slope(predictor - damping * current);
            inverse_inductance / (1.0 + damping * inverse_inductance)
        };
        let range = PREDICTOR_RANGE_IN_SATURATION_FLUX * core.saturation_flux;
        TabulatedCurve::from_function_and_slope(solve, slope, -range, range, SEGMENTS)
    }

    /// The settings in force.
    pub fn settings(&self) -> &TransformerSettings {
        &self.settings
    }

    /// The core law in force.
    pub fn core(&self) -> &CoreLaw {
        &self.core
    }

    /// Present flux linkage, volt-seconds.
    pub fn flux(&self) -> f64 {
        self.flux
    }

    /// Low-frequency −3 dB corner of the linear part, R/(2π·L0), hertz.
    pub fn low_corner_hz(&self) -> f64 {
        self.series_resistance / (std::f64::consts::TAU * self.core.inductance)
    }
}

impl Processor for TransformerStage {
    fn prepare(&mut self, sample_rate: f32, _max_block: usize) {
        let sample_period = 1.0 / f64::from(sample_rate.max(1.0));
        if sample_period != self.sample_period {
            self.sample_period = sample_period;
            self.current_of_predictor =
                Self::predictor_table(self.core, sample_period, self.series_resistance);
        }
        self.reset();
    }

    fn reset(&mut self) {
        self.flux = 0.0;
    }

    #[inline]
    fn process_sample(&mut self, input: f32) -> f32 {
        let primary = f64::from(sanitize(input));
        let predictor = self.flux + self.sample_period * primary;
        let current = self.current_of_predictor.value(predictor);
        let drop = self.series_resistance * current;
        self.flux = super::triode::flush_tiny(predictor - self.sample_period * drop);
        (primary - drop) as f32
    }

    /// [`TransformerStage::process_sample`] over a block; the same arithmetic.
    fn process_block(&mut self, block: &mut [f32]) {
        self.process_block_then(block, |secondary| secondary);
    }
}

impl TransformerStage {
    /// [`TransformerStage::process_sample`] over a block with the flux in a local, so nothing goes
    /// through memory between samples, handing each secondary voltage (volts, in `f64`) to `then`,
    /// whose result is stored: a stage that follows runs in the same loop, without a round trip
    /// through the block.
    #[inline(always)]
    pub fn process_block_then(&mut self, block: &mut [f32], then: impl FnMut(f64) -> f64) {
        self.run_block(block, sanitize, then);
    }

    /// [`TransformerStage::process_block_then`] for a block already sanitised upstream (the preamp
    /// channel guards its input, the downsampler its output): no guard per sample; instead the
    /// flux is checked once at the end of the block, as the filters check their states. Returns
    /// `false` if the block carried NaN or infinities after all: the stage has then reset itself
    /// and the caller silences the block.
    #[inline(always)]
    pub fn process_sanitised_block_then(
        &mut self,
        block: &mut [f32],
        then: impl FnMut(f64) -> f64,
    ) -> bool {
        self.run_block(block, |sample| sample, then);
        if self.flux.is_finite() {
            true
        } else {
            self.reset();
            false
        }
    }

    #[inline(always)]
    fn run_block(
        &mut self,
        block: &mut [f32],
        guard: impl Fn(f32) -> f32,
        mut then: impl FnMut(f64) -> f64,
    ) {
        let (sample_period, series_resistance) = (self.sample_period, self.series_resistance);
        let mut flux = self.flux;
        for sample in block.iter_mut() {
            let primary = f64::from(guard(*sample));
            let predictor = flux + sample_period * primary;
            let drop = series_resistance * self.current_of_predictor.value(predictor);
            flux = super::triode::flush_tiny(predictor - sample_period * drop);
            *sample = then(primary - drop) as f32;
        }
        self.flux = flux;
    }
}
