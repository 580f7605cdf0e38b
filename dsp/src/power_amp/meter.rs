//! Power-amp metering: what one processed block measured ([`MeterBlock`]) and the ballistics that
//! turn blocks into readings ([`PowerMeter`]).
//!
//! - **Average power** (the "RMS watts" of amplifier specifications): the mean of `v·i`, the
//!   instantaneous power into the load (real power, so a reactive speaker load reads what it
//!   actually absorbs), smoothed with a 300 ms time constant.
//! - **Peak power**, sine-equivalent: `V_peak² / (2·R_nominal)`, the power of a sine with the
//!   observed peak voltage (a steady sine reads the same peak and average power), with a 1.5 s
//!   release.
//! - **Headroom**: dB between the present peak drive and the clipping point (the rated 1 %-THD
//!   drive, scaled by the present rail), with the same release.
//! - **Clip**: lit while the stage ran past its knee within the last 0.5 s.
//! - **Sag**: the present rail as a percentage of the idle rail.
//! - **Damping factor**: nominal load over the source impedance at 1 kHz.

/// Measurements accumulated while processing; reset by [`MeterBlock::take`].
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct MeterBlock {
    /// Σ instantaneous power into the load over the block, watt-samples.
    pub energy: f64,
    /// Samples in the block.
    pub samples: usize,
    /// Largest |speaker voltage|, volts.
    pub peak_volts: f64,
    /// Largest |drive| over the rail (1 = at the rated clipping point).
    pub peak_drive_ratio: f64,
    /// Whether the output stage ran past its knee.
    pub clipped: bool,
    /// Rail at the end of the block, percent of the idle rail.
    pub rail_percent: f64,
    /// Damping factor in use.
    pub damping_factor: f64,
}

impl MeterBlock {
    /// Merges a later block into this one.
    pub fn merge(&mut self, later: &MeterBlock) {
        self.energy += later.energy;
        self.samples += later.samples;
        self.peak_volts = self.peak_volts.max(later.peak_volts);
        self.peak_drive_ratio = self.peak_drive_ratio.max(later.peak_drive_ratio);
        self.clipped |= later.clipped;
        self.rail_percent = later.rail_percent;
        self.damping_factor = later.damping_factor;
    }

    /// Returns the accumulated block and starts a new one (keeping the rail and damping readings).
    pub fn take(&mut self) -> MeterBlock {
        let taken = *self;
        *self = MeterBlock {
            rail_percent: taken.rail_percent,
            damping_factor: taken.damping_factor,
            ..MeterBlock::default()
        };
        taken
    }

    /// Mean power over the block, watts.
    pub fn mean_watts(&self) -> f64 {
        if self.samples == 0 {
            0.0
        } else {
            self.energy / self.samples as f64
        }
    }
}

/// The readings a meter shows.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct MeterReadings {
    /// Average power into the load, watts.
    pub average_watts: f64,
    /// Sine-equivalent peak power, watts.
    pub peak_watts: f64,
    /// Average power as a percentage of the rating.
    pub percent_of_rating: f64,
    /// Clip indicator.
    pub clipping: bool,
    /// Headroom to the clipping point, dB (large when silent).
    pub headroom_db: f64,
    /// Rail, percent of the idle rail.
    pub rail_percent: f64,
    /// Damping factor in use.
    pub damping_factor: f64,
}

/// Time constant of the average-power reading, seconds.
pub const AVERAGE_SECONDS: f64 = 0.3;
/// Release time constant of the peak and headroom readings, seconds.
pub const PEAK_RELEASE_SECONDS: f64 = 1.5;
/// How long the clip light stays on, seconds.
pub const CLIP_HOLD_SECONDS: f64 = 0.5;
/// Headroom shown for silence, dB.
pub const SILENT_HEADROOM_DB: f64 = 120.0;

/// Ballistics from blocks to readings.
#[derive(Clone, Copy, Debug)]
pub struct PowerMeter {
    sample_rate: f64,
    average_watts: f64,
    peak_volts: f64,
    peak_drive_ratio: f64,
    clip_hold: f64,
    readings: MeterReadings,
}

impl PowerMeter {
    /// A meter for blocks at `sample_rate` Hz.
    pub fn new(sample_rate: f64) -> Self {
        Self {
            sample_rate,
            average_watts: 0.0,
            peak_volts: 0.0,
            peak_drive_ratio: 0.0,
            clip_hold: 0.0,
            readings: MeterReadings::default(),
        }
    }

    /// Clears the ballistics.
    pub fn reset(&mut self) {
        *self = Self::new(self.sample_rate);
    }

    /// Feeds a block measured on an amp rated `rated_watts` into `nominal_ohms`.
    pub fn feed(&mut self, block: &MeterBlock, rated_watts: f64, nominal_ohms: f64) {
        if block.samples == 0 {
            return;
        }
        let seconds = block.samples as f64 / self.sample_rate;
        let average_step = 1.0 - (-seconds / AVERAGE_SECONDS).exp();
        self.average_watts += average_step * (block.mean_watts() - self.average_watts);
        let release = (-seconds / PEAK_RELEASE_SECONDS).exp();
        self.peak_volts = block.peak_volts.max(self.peak_volts * release);
        self.peak_drive_ratio = block.peak_drive_ratio.max(self.peak_drive_ratio * release);
        self.clip_hold = if block.clipped {
            CLIP_HOLD_SECONDS
        } else {
            (self.clip_hold - seconds).max(0.0)
        };
        self.readings = MeterReadings {
            average_watts: self.average_watts.max(0.0),
            peak_watts: self.peak_volts * self.peak_volts / (2.0 * nominal_ohms),
            percent_of_rating: 100.0 * self.average_watts.max(0.0) / rated_watts,
            clipping: self.clip_hold > 0.0,
            headroom_db: if self.peak_drive_ratio > 1.0e-6 {
                -20.0 * self.peak_drive_ratio.log10()
            } else {
                SILENT_HEADROOM_DB
            },
            rail_percent: block.rail_percent,
            damping_factor: block.damping_factor,
        };
    }

    /// The present readings.
    pub fn readings(&self) -> MeterReadings {
        self.readings
    }
}
