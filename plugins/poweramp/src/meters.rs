//! The power amp's meter readings, shared lock-free between the audio thread and the editor.
//!
//! The audio thread publishes [`MeterReadings`] (from `gainstage_dsp::power_amp::meter`) after
//! every processed buffer; the editor reads them whenever it repaints. For a stereo instance each
//! reading is the worse of the two channels (the larger power, the smaller headroom, either clip).

use std::sync::atomic::{AtomicBool, Ordering};

use atomic_float::AtomicF32;
use gainstage_dsp::power_amp::meter::MeterReadings;

/// Published meter values.
#[derive(Debug)]
pub struct PowerAmpMeters {
    /// Average (RMS-equivalent) power into the load, watts.
    pub average_watts: AtomicF32,
    /// Sine-equivalent peak power, watts.
    pub peak_watts: AtomicF32,
    /// Average power as a percentage of the rating.
    pub percent_of_rating: AtomicF32,
    /// Headroom to the clipping point, dB.
    pub headroom_db: AtomicF32,
    /// Supply rail as a percentage of its idle value.
    pub rail_percent: AtomicF32,
    /// Damping factor in use.
    pub damping_factor: AtomicF32,
    /// Clip indicator.
    pub clipping: AtomicBool,
}

impl Default for PowerAmpMeters {
    fn default() -> Self {
        Self {
            average_watts: AtomicF32::new(0.0),
            peak_watts: AtomicF32::new(0.0),
            percent_of_rating: AtomicF32::new(0.0),
            headroom_db: AtomicF32::new(120.0),
            rail_percent: AtomicF32::new(100.0),
            damping_factor: AtomicF32::new(0.0),
            clipping: AtomicBool::new(false),
        }
    }
}

impl PowerAmpMeters {
    /// Publishes the worst of the channels' readings.
    pub fn publish(&self, channels: &[MeterReadings]) {
        let Some(first) = channels.first() else {
            return;
        };
        let worst = channels
            .iter()
            .skip(1)
            .fold(*first, |worst, reading| MeterReadings {
                average_watts: worst.average_watts.max(reading.average_watts),
                peak_watts: worst.peak_watts.max(reading.peak_watts),
                percent_of_rating: worst.percent_of_rating.max(reading.percent_of_rating),
                clipping: worst.clipping || reading.clipping,
                headroom_db: worst.headroom_db.min(reading.headroom_db),
                rail_percent: worst.rail_percent.min(reading.rail_percent),
                damping_factor: worst.damping_factor.min(reading.damping_factor),
            });
        self.average_watts
            .store(worst.average_watts as f32, Ordering::Relaxed);
        self.peak_watts
            .store(worst.peak_watts as f32, Ordering::Relaxed);
        self.percent_of_rating
            .store(worst.percent_of_rating as f32, Ordering::Relaxed);
        self.headroom_db
            .store(worst.headroom_db as f32, Ordering::Relaxed);
        self.rail_percent
            .store(worst.rail_percent as f32, Ordering::Relaxed);
        self.damping_factor
            .store(worst.damping_factor as f32, Ordering::Relaxed);
        self.clipping.store(worst.clipping, Ordering::Relaxed);
    }

    /// The published values, as a plain reading.
    pub fn snapshot(&self) -> MeterReadings {
        MeterReadings {
            average_watts: f64::from(self.average_watts.load(Ordering::Relaxed)),
            peak_watts: f64::from(self.peak_watts.load(Ordering::Relaxed)),
            percent_of_rating: f64::from(self.percent_of_rating.load(Ordering::Relaxed)),
            clipping: self.clipping.load(Ordering::Relaxed),
            headroom_db: f64::from(self.headroom_db.load(Ordering::Relaxed)),
            rail_percent: f64::from(self.rail_percent.load(Ordering::Relaxed)),
            damping_factor: f64::from(self.damping_factor.load(Ordering::Relaxed)),
        }
    }
}
