//! A linear ramp between two states, for click-free switching (bypass, model changes, A/B).

/// Moves linearly from its current value to a target over a fixed time.
#[derive(Debug, Clone, Copy, Default)]
pub struct LinearRamp {
    value: f32,
    target: f32,
    step: f32,
}

impl LinearRamp {
    /// Sets the ramp's duration: a full 0 → 1 move takes `seconds` at `sample_rate` Hz.
    pub fn prepare(&mut self, sample_rate: f32, seconds: f32) {
        self.step = 1.0 / (seconds * sample_rate).max(1.0);
    }

    /// Jumps straight to `value`, with no ramp.
    pub fn settle(&mut self, value: f32) {
        self.value = value;
        self.target = value;
    }

    /// Starts moving towards `target` (no effect if already there).
    pub fn set_target(&mut self, target: f32) {
        self.target = target;
    }

    /// The target the ramp is heading for.
    pub fn target(&self) -> f32 {
        self.target
    }

    /// True while the value has not reached the target.
    pub fn is_ramping(&self) -> bool {
        self.value != self.target
    }

    /// Advances one sample and returns the new value.
    #[inline]
    pub fn advance(&mut self) -> f32 {
        self.value = if self.value < self.target {
            (self.value + self.step).min(self.target)
        } else {
            (self.value - self.step).max(self.target)
        };
        self.value
    }

    /// The present value.
    pub fn value(&self) -> f32 {
        self.value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ramp_reaches_its_target_in_the_set_time() {
        let mut ramp = LinearRamp::default();
        ramp.prepare(48_000.0, 0.01);
        ramp.settle(0.0);
        ramp.set_target(1.0);
        let mut steps = 0;
        while ramp.is_ramping() {
            ramp.advance();
            steps += 1;
        }
        assert_eq!(
            steps, 480,
            "0 → 1 over 10 ms at 48 kHz took {steps} samples"
        );
        ramp.set_target(0.0);
        let first = ramp.advance();
        assert!(
            (first - (1.0 - 1.0 / 480.0)).abs() < 1e-6,
            "first step down: {first}"
        );
    }
}
