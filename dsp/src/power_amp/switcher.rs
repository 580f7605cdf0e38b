//! Click-free switching between power-amp configurations: two complete signal paths and a short
//! equal-gain cross-fade whenever a change needs a new path (amp type, load, nominal load, input or
//! output mode, quality).
//!
//! Changes that can glide (wattage, sensitivity, sag, feedback, presence, depth, the custom load's
//! values) are applied in place to the path that is playing. A change that needs a new path
//! configures the idle path from scratch, hands it the old path's supply rail and core flux, and
//! fades over [`CROSSFADE_SECONDS`]; a further such change during a fade waits for it to finish.

use crate::Processor;

use super::meter::MeterBlock;
use super::{PowerAmp, PowerAmpSettings};

/// Length of the cross-fade between two paths, seconds.
pub const CROSSFADE_SECONDS: f64 = 0.03;

/// Two [`PowerAmp`] paths with a cross-fade between them.
pub struct CrossfadingPowerAmp {
    paths: [PowerAmp; 2],
    active: usize,
    /// Progress of the running fade, 0–1 (`None` when no fade runs).
    fade: Option<f64>,
    fade_step: f64,
    pending: Option<PowerAmpSettings>,
    scratch: Vec<f32>,
    sample_rate: f64,
}

impl CrossfadingPowerAmp {
    /// Two paths with `settings`, prepared for 48 kHz and blocks of 1024 samples.
    pub fn new(settings: PowerAmpSettings) -> Self {
        let mut amp = Self {
            paths: [PowerAmp::new(settings), PowerAmp::new(settings)],
            active: 0,
            fade: None,
            fade_step: 0.0,
            pending: None,
            scratch: Vec::new(),
            sample_rate: 48_000.0,
        };
        amp.prepare(48_000.0, 1024);
        amp
    }

    /// The path that is playing (or fading in).
    pub fn current(&self) -> &PowerAmp {
        match self.fade {
            Some(_) => &self.paths[1 - self.active],
            None => &self.paths[self.active],
        }
    }

    /// The settings the amp is heading for.
    pub fn target_settings(&self) -> PowerAmpSettings {
        self.pending.unwrap_or(*self.current().settings())
    }

    /// True while a cross-fade runs.
    pub fn is_fading(&self) -> bool {
        self.fade.is_some()
    }

    /// Moves to `settings` (see the module documentation). Never allocates.
    pub fn set_settings(&mut self, settings: &PowerAmpSettings) {
        match self.fade {
            Some(_) => {
                let incoming = &mut self.paths[1 - self.active];
                if incoming.settings().needs_new_path(settings) {
                    self.pending = Some(*settings);
                } else {
                    incoming.update(settings);
                    self.pending = None;
                }
            }
            None => {
                if self.paths[self.active].settings().needs_new_path(settings) {
                    self.start_fade(settings);
                } else {
                    self.paths[self.active].update(settings);
                }
            }
        }
    }

    fn start_fade(&mut self, settings: &PowerAmpSettings) {
        let (first, second) = self.paths.split_at_mut(1);
        let (playing, idle) = if self.active == 0 {
            (&first[0], &mut second[0])
        } else {
            (&second[0], &mut first[0])
        };
        idle.update(settings);
        idle.reset();
        idle.continue_from(playing);
        self.fade = Some(0.0);
        self.pending = None;
    }

    /// Processes a block in place.
    pub fn process(&mut self, block: &mut [f32]) {
        let mut start = 0;
        while start < block.len() {
            match self.fade {
                None => {
                    self.paths[self.active].process_block(&mut block[start..]);
                    start = block.len();
                }
                Some(progress) => {
                    let length = (block.len() - start).min(self.scratch.len().max(1));
                    let length = length.min(self.scratch.len());
                    let segment = &mut block[start..start + length];
                    let incoming = &mut self.scratch[..length];
                    incoming.copy_from_slice(segment);
                    self.paths[1 - self.active].process_block(incoming);
                    self.paths[self.active].process_block(segment);
                    let mut position = progress;
                    for (outgoing, incoming) in segment.iter_mut().zip(incoming.iter()) {
                        position = (position + self.fade_step).min(1.0);
                        let weight = position as f32;
                        *outgoing += weight * (*incoming - *outgoing);
                    }
                    start += length;
                    if position >= 1.0 {
                        // The old path's meters are dropped; the new one's keep counting.
                        let _ = self.paths[self.active].take_meters();
                        self.active = 1 - self.active;
                        self.fade = None;
                        if let Some(pending) = self.pending.take() {
                            self.set_settings(&pending);
                        }
                    } else {
                        self.fade = Some(position);
                    }
                }
            }
        }
    }

    /// Processes two channels of one amp, `left_block` with `left` and `right_block` with
    /// `right`, sample for sample as [`CrossfadingPowerAmp::process`] on each: while neither
    /// fades, their playing paths run together ([`PowerAmp::process_pair_block`]).
    pub fn process_pair(
        left: &mut CrossfadingPowerAmp,
        right: &mut CrossfadingPowerAmp,
        left_block: &mut [f32],
        right_block: &mut [f32],
    ) {
        if left.fade.is_none() && right.fade.is_none() {
            PowerAmp::process_pair_block(
                &mut left.paths[left.active],
                &mut right.paths[right.active],
                left_block,
                right_block,
            );
        } else {
            left.process(left_block);
            right.process(right_block);
        }
    }

    /// Meter measurements of the playing path since the last call.
    pub fn take_meters(&mut self) -> MeterBlock {
        match self.fade {
            Some(_) => {
                let mut block = self.paths[self.active].take_meters();
                let _ = self.paths[1 - self.active].take_meters();
                block.damping_factor = self.paths[1 - self.active].damping_factor();
                block
            }
            None => self.paths[self.active].take_meters(),
        }
    }

    /// Latency of the path that is playing (or fading in), samples.
    pub fn latency(&self) -> u32 {
        self.current().latency()
    }

    /// Latency the amp will have once the pending change is applied, samples.
    pub fn target_latency(&self) -> u32 {
        match self.pending {
            Some(pending) => self.current().latency_at(pending.quality),
            None => self.current().latency(),
        }
    }
}

impl Processor for CrossfadingPowerAmp {
    fn prepare(&mut self, sample_rate: f32, max_block: usize) {
        self.sample_rate = f64::from(sample_rate);
        for path in self.paths.iter_mut() {
            path.prepare(sample_rate, max_block);
        }
        self.scratch = vec![0.0; max_block.max(super::CHUNK)];
        self.fade_step = 1.0 / (CROSSFADE_SECONDS * self.sample_rate).max(1.0);
        self.reset();
    }

    fn reset(&mut self) {
        if self.fade.is_some() {
            self.active = 1 - self.active;
            self.fade = None;
        }
        if let Some(pending) = self.pending.take() {
            self.paths[self.active].update(&pending);
        }
        for path in self.paths.iter_mut() {
            path.reset();
        }
    }

    fn process_sample(&mut self, input: f32) -> f32 {
        let mut block = [input];
        self.process(&mut block);
        block[0]
    }

    fn process_block(&mut self, block: &mut [f32]) {
        self.process(block);
    }

    fn latency(&self) -> u32 {
        CrossfadingPowerAmp::latency(self)
    }
}
