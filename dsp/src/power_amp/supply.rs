//! Power-supply sag: the rail droops with the current the output stage draws through the supply's
//! resistance and recovers with the reservoir's time constant.
//!
//! An unregulated supply is a source `V₀` behind a resistance `Rs` (transformer windings, rectifier)
//! charging a reservoir capacitor `C` from which the output stage draws `I(t)`:
//! `C·dV/dt = (V₀ − V)/Rs − I`, i.e. `V` follows `V₀ − Rs·I` with the time constant `τ = Rs·C`.
//! DESIGN.md: a 100 W amp drawing 5 A peaks loses about 5 V per ohm of `Rs`; `τ` is tens to hundreds
//! of milliseconds.
//!
//! Here everything is relative to the **rated rail**: the rail the amp has while delivering its
//! rated sine power (that is where its rating is measured). The supply draws an idle part
//! (class A draws its full current all the time) plus a part proportional to the rectified load
//! current; at the rated sine the draw is by definition 1 and the rail is 1. At idle the rail is
//! higher, `1 + droop·(1 − idle share)`: the "dynamic headroom" a tube amp shows on transients. The
//! sag amount scales `Rs`, hence the droop; `τ` is the reservoir's, set per type and growing mildly
//! with wattage (bigger amps, bigger capacitors).

/// Supply constants of one amp type.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SupplyDesign {
    /// Rail drop between no draw and the rated draw, as a fraction of the rated rail, at full sag.
    pub droop_at_full_sag: f64,
    /// Share of the rated draw that flows at idle (class A ≈ 1, class AB ≈ 0.1).
    pub idle_draw: f64,
    /// Draw proportional to the rectified load current (per unit of the rated sine's mean).
    pub signal_draw: f64,
    /// Reservoir time constant at 100 W, seconds.
    pub time_constant_at_100_watts: f64,
}

/// Mean of |sin| over a period: the rectified mean of the rated sine's normalised current.
const RECTIFIED_SINE_MEAN: f64 = 2.0 / std::f64::consts::PI;

/// The rail state of one channel.
#[derive(Clone, Copy, Debug)]
pub struct Supply {
    rail: f64,
    open_rail: f64,
    droop_per_draw: f64,
    idle_draw: f64,
    signal_draw_per_current: f64,
    smoothing: f64,
    time_constant: f64,
}

impl Default for Supply {
    fn default() -> Self {
        Self {
            rail: 1.0,
            open_rail: 1.0,
            droop_per_draw: 0.0,
            idle_draw: 0.0,
            signal_draw_per_current: 0.0,
            smoothing: 1.0,
            time_constant: 0.05,
        }
    }
}

impl Supply {
    /// Sets the constants: `design` of the amp type, `sag` 0–1, rated power in watts, and the rate
    /// (Hz) at which [`Supply::advance`] is called. Keeps the present rail.
    pub fn configure(
        &mut self,
        design: &SupplyDesign,
        sag: f64,
        rated_watts: f64,
        sample_rate: f64,
    ) {
        let droop = design.droop_at_full_sag * sag.clamp(0.0, 1.0);
        let rated_draw = design.idle_draw + design.signal_draw;
        self.droop_per_draw = droop / rated_draw;
        self.open_rail = 1.0 + droop;
        self.idle_draw = design.idle_draw;
        self.signal_draw_per_current = design.signal_draw / RECTIFIED_SINE_MEAN;
        self.time_constant =
            design.time_constant_at_100_watts * (rated_watts.max(1.0) / 100.0).powf(0.15);
        self.smoothing = 1.0 - (-1.0 / (self.time_constant * sample_rate)).exp();
    }

    /// The rail at idle (no signal), rated units.
    pub fn idle_rail(&self) -> f64 {
        self.open_rail - self.droop_per_draw * self.idle_draw
    }

    /// The reservoir time constant in force, seconds.
    pub fn time_constant(&self) -> f64 {
        self.time_constant
    }

    /// Settles the rail at its idle value.
    pub fn reset(&mut self) {
        self.rail = self.idle_rail();
    }

    /// The present rail, rated units (1 = the rail at the rated sine power).
    #[inline]
    pub fn rail(&self) -> f64 {
        self.rail
    }

    /// Copies the rail state of `other` (when a new path takes over from an old one).
    pub fn continue_from(&mut self, other: &Supply) {
        self.rail = other.rail;
    }

    /// Advances one sample with the load current `current` (rated units: the rated sine's peak
    /// current is 1) and returns the new rail.
    #[inline]
    pub fn advance(&mut self, current: f64) -> f64 {
        let draw = self.idle_draw + self.signal_draw_per_current * current.abs();
        let target = self.open_rail - self.droop_per_draw * draw;
        self.rail += self.smoothing * (target - self.rail);
        self.rail
    }

    /// Keeps the rail finite and within 0.2–2 of the rated rail (call once per block: the
    /// current fed to [`Supply::advance`] comes from a bounded signal, so this only catches
    /// what hostile input could leave behind).
    pub fn keep_sane(&mut self) {
        if !self.rail.is_finite() {
            self.rail = self.idle_rail();
        }
        self.rail = self.rail.clamp(0.2, 2.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rail_is_rated_under_the_rated_sine_and_higher_at_idle() {
        let design = SupplyDesign {
            droop_at_full_sag: 0.2,
            idle_draw: 0.1,
            signal_draw: 1.0,
            time_constant_at_100_watts: 0.05,
        };
        let mut supply = Supply::default();
        supply.configure(&design, 1.0, 100.0, 48_000.0);
        supply.reset();
        let idle = supply.rail();
        let mut sum = 0.0;
        let mut count = 0.0;
        for index in 0..96_000 {
            let current = (std::f64::consts::TAU * 1_000.0 * index as f64 / 48_000.0).sin();
            let rail = supply.advance(current);
            supply.keep_sane();
            if index >= 48_000 {
                sum += rail;
                count += 1.0;
            }
        }
        let loaded = sum / count;
        assert!(
            (loaded - 1.0).abs() < 1e-3,
            "rail under the rated sine: {loaded:.4} (should be 1)"
        );
        assert!(
            (idle - (1.0 + 0.2 * (1.0 - 0.1 / 1.1))).abs() < 1e-9,
            "idle rail {idle:.4}"
        );
    }
}
