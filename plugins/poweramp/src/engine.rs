//! The power amp's signal path: input gain → power amp (per channel, with click-free path
//! changes; a stereo pair's two channels processed together, which shares SIMD lanes and gives
//! the same output) → output trim, with a delay-compensated, click-free bypass and the meters.
//!
//! Parameters are read through their smoothers in chunks of [`CHUNK`] samples so that every
//! channel sees the same values without allocating: gains per sample, the amp's settings per chunk
//! (the DSP glides continuous changes and cross-fades the others).

use std::sync::Arc;

use gainstage_dsp::Processor;
use gainstage_dsp::guard::sanitize;
use gainstage_dsp::power_amp::meter::{MeterReadings, PowerMeter};
use gainstage_dsp::power_amp::switcher::CrossfadingPowerAmp;
use gainstage_dsp::power_amp::{PowerAmpSettings, Quality};
use gainstage_dsp::ramp::LinearRamp;
use nice_plug::prelude::*;

use crate::meters::PowerAmpMeters;
use crate::params::PowerAmpParams;

/// Samples processed per inner chunk; the smoothed parameter values for one chunk live on the stack.
pub const CHUNK: usize = 64;

/// Time for the bypass cross-fade, in seconds.
const BYPASS_FADE_SECONDS: f32 = 0.01;

/// Longest latency the bypass delay line can match, samples (the 8× linear-phase cascade needs 76).
const MAX_BYPASS_DELAY: usize = 256;

/// A short delay line that keeps the bypassed (dry) signal aligned with the processed one.
///
/// Works on whole chunks: [`DryDelay::push`] appends a chunk, [`DryDelay::delayed`] reads the
/// chunk that was pushed `delay` samples earlier, each as at most two slice copies of the ring
/// (no per-sample index arithmetic).
#[derive(Clone, Debug, Default)]
struct DryDelay {
    buffer: Vec<f32>,
    /// Where the next pushed sample goes.
    position: usize,
    delay: usize,
}

impl DryDelay {
    fn prepare(&mut self) {
        self.buffer = vec![0.0; MAX_BYPASS_DELAY];
        self.position = 0;
    }

    fn set_delay(&mut self, delay: u32) {
        self.delay = (delay as usize).min(MAX_BYPASS_DELAY - CHUNK);
    }

    fn reset(&mut self) {
        self.buffer.fill(0.0);
    }

    /// Copies `output.len()` ring samples starting at `start` into `output`.
    fn read_from(&self, start: usize, output: &mut [f32]) {
        let first = output.len().min(self.buffer.len() - start);
        let (head, tail) = output.split_at_mut(first);
        head.copy_from_slice(&self.buffer[start..start + first]);
        tail.copy_from_slice(&self.buffer[..tail.len()]);
    }

    /// Appends `input` (at most [`CHUNK`] samples) to the line.
    #[inline]
    fn push(&mut self, input: &[f32]) {
        if self.buffer.is_empty() {
            return;
        }
        let length = self.buffer.len();
        let first = input.len().min(length - self.position);
        let (head, tail) = input.split_at(first);
        self.buffer[self.position..self.position + first].copy_from_slice(head);
        self.buffer[..tail.len()].copy_from_slice(tail);
        self.position = (self.position + input.len()) % length;
    }

    /// The samples pushed `delay` samples before the last `output.len()` ones, i.e. the last
    /// pushed chunk delayed by `delay` (call right after [`DryDelay::push`]). An unprepared line
    /// has no delay: it returns `undelayed`.
    #[inline]
    fn delayed(&self, undelayed: &[f32], output: &mut [f32]) {
        if self.buffer.is_empty() {
            output.copy_from_slice(undelayed);
            return;
        }
        let length = self.buffer.len();
        let start = (self.position + 2 * length - output.len() - self.delay) % length;
        self.read_from(start, output);
    }
}

/// Fills `gains` with the linear gains of a dB parameter's next smoothed values: one per sample
/// while it glides, one `powf` for the whole chunk while it holds (the same values either way).
fn gains_for_chunk(param: &FloatParam, gains: &mut [f32]) {
    if param.smoothed.is_smoothing() {
        for gain in gains.iter_mut() {
            *gain = util::db_to_gain(param.smoothed.next());
        }
    } else {
        gains.fill(util::db_to_gain(param.smoothed.next()));
    }
}

/// The power amp's DSP state for every channel.
#[derive(Default)]
pub struct PowerAmpEngine {
    sample_rate: f32,
    offline: bool,
    amps: Vec<CrossfadingPowerAmp>,
    power_meters: Vec<PowerMeter>,
    readings: Vec<MeterReadings>,
    dry_delays: Vec<DryDelay>,
    /// Each channel's sanitised input of the chunk in progress (the dry signal).
    dry_chunks: Vec<[f32; CHUNK]>,
    /// Mix between processed (1.0) and bypassed (0.0) signal.
    wet: LinearRamp,
    applied: Option<PowerAmpSettings>,
    latency: u32,
    meters: Arc<PowerAmpMeters>,
}

impl PowerAmpEngine {
    /// An engine publishing its meters to `meters`.
    pub fn with_meters(meters: Arc<PowerAmpMeters>) -> Self {
        Self {
            meters,
            ..Self::default()
        }
    }

    /// The shared meter values.
    pub fn meters(&self) -> &Arc<PowerAmpMeters> {
        &self.meters
    }

    /// The quality in force: the offline one while the host renders offline.
    fn quality(&self, params: &PowerAmpParams) -> Quality {
        if self.offline {
            params.offline_quality.value().quality()
        } else {
            params.quality.value().quality()
        }
    }

    /// Prepares for `channels` channels at `sample_rate` Hz with blocks of at most `max_block`
    /// samples; `offline` selects the offline-render quality. Allocates (never call from
    /// `process`).
    pub fn prepare(
        &mut self,
        sample_rate: f32,
        max_block: usize,
        channels: usize,
        offline: bool,
        params: &PowerAmpParams,
    ) {
        self.sample_rate = sample_rate;
        self.offline = offline;
        let settings = params.settings(&params.targets(), self.quality(params));
        self.amps = (0..channels)
            .map(|_| {
                let mut amp = CrossfadingPowerAmp::new(settings);
                amp.prepare(sample_rate, max_block.clamp(CHUNK, 8192));
                amp
            })
            .collect();
        self.power_meters = vec![PowerMeter::new(f64::from(sample_rate)); channels];
        self.readings = vec![MeterReadings::default(); channels];
        self.dry_delays = vec![DryDelay::default(); channels];
        self.dry_chunks = vec![[0.0; CHUNK]; channels];
        for delay in self.dry_delays.iter_mut() {
            delay.prepare();
        }
        self.applied = Some(settings);
        self.latency = self
            .amps
            .first()
            .map_or(0, CrossfadingPowerAmp::target_latency);
        for delay in self.dry_delays.iter_mut() {
            delay.set_delay(self.latency);
        }
        self.wet.prepare(sample_rate, BYPASS_FADE_SECONDS);
    }

    /// Delay the signal path adds, in samples at the host rate.
    pub fn latency(&self) -> u32 {
        self.latency
    }

    /// Clears every state and settles the ramps on the current parameter values.
    pub fn reset(&mut self, params: &PowerAmpParams) {
        let settings = params.settings(&params.targets(), self.quality(params));
        for amp in self.amps.iter_mut() {
            amp.set_settings(&settings);
            amp.reset();
        }
        self.applied = Some(settings);
        for meter in self.power_meters.iter_mut() {
            meter.reset();
        }
        for delay in self.dry_delays.iter_mut() {
            delay.reset();
        }
        self.wet.settle(wet_target(params));
    }

    /// Processes the host's channels in place. Returns the new latency when it changed (the
    /// caller reports it to the host).
    pub fn process(&mut self, channels: &mut [&mut [f32]], params: &PowerAmpParams) -> Option<u32> {
        let length = channels.first().map_or(0, |channel| channel.len());
        self.wet.set_target(wet_target(params));
        let quality = self.quality(params);
        let mut start = 0;
        while start < length {
            let chunk_length = CHUNK.min(length - start);
            let values = params.advance_smoothed(chunk_length as u32);
            let settings = params.settings(&values, quality);
            if self.applied != Some(settings) {
                for amp in self.amps.iter_mut() {
                    amp.set_settings(&settings);
                }
                self.applied = Some(settings);
            }
            let mut input_gain = [0.0f32; CHUNK];
            let mut output_gain = [0.0f32; CHUNK];
            let mut wet = [0.0f32; CHUNK];
            gains_for_chunk(&params.input_db, &mut input_gain[..chunk_length]);
            gains_for_chunk(&params.output_db, &mut output_gain[..chunk_length]);
            // While the plugin is fully active (the usual case) the output is the processed
            // signal alone; the dry line is still fed so that a bypass fades in aligned.
            let fully_wet = !self.wet.is_ramping() && self.wet.value() == 1.0;
            if !fully_wet {
                for ramp in wet[..chunk_length].iter_mut() {
                    *ramp = self.wet.advance();
                }
            }
            let end = start + chunk_length;
            for (channel, dry) in channels.iter_mut().zip(self.dry_chunks.iter_mut()) {
                for ((dry_sample, sample), gain) in dry
                    .iter_mut()
                    .zip(channel[start..end].iter_mut())
                    .zip(&input_gain[..chunk_length])
                {
                    *dry_sample = sanitize(*sample);
                    *sample = *dry_sample * gain;
                }
            }
            match (&mut *channels, &mut self.amps[..]) {
                // A stereo pair's channels run together (shared SIMD lanes, same output).
                ([left, right], [left_amp, right_amp]) => CrossfadingPowerAmp::process_pair(
                    left_amp,
                    right_amp,
                    &mut left[start..end],
                    &mut right[start..end],
                ),
                (channels, amps) => {
                    for (channel, amp) in channels.iter_mut().zip(amps.iter_mut()) {
                        amp.process(&mut channel[start..end]);
                    }
                }
            }
            for ((channel, dry), delay) in channels
                .iter_mut()
                .zip(self.dry_chunks.iter())
                .zip(self.dry_delays.iter_mut())
            {
                let samples = &mut channel[start..end];
                let dry = &dry[..chunk_length];
                delay.push(dry);
                if fully_wet {
                    for (sample, gain) in samples.iter_mut().zip(&output_gain) {
                        *sample *= gain;
                    }
                } else {
                    let mut aligned = [0.0f32; CHUNK];
                    let aligned = &mut aligned[..chunk_length];
                    delay.delayed(dry, aligned);
                    for (((sample, gain), aligned_dry), wet) in samples
                        .iter_mut()
                        .zip(&output_gain)
                        .zip(aligned.iter())
                        .zip(&wet)
                    {
                        let processed = *sample * gain;
                        *sample = aligned_dry + wet * (processed - aligned_dry);
                    }
                }
            }
            start += chunk_length;
        }
        self.publish_meters(params);
        let latency = self
            .amps
            .first()
            .map_or(0, CrossfadingPowerAmp::target_latency);
        if latency != self.latency {
            self.latency = latency;
            for delay in self.dry_delays.iter_mut() {
                delay.set_delay(latency);
            }
            Some(latency)
        } else {
            None
        }
    }

    fn publish_meters(&mut self, params: &PowerAmpParams) {
        let rated_watts = f64::from(params.wattage.smoothed.previous_value());
        let nominal_ohms = params.nominal_load.value().ohms();
        for ((amp, meter), reading) in self
            .amps
            .iter_mut()
            .zip(self.power_meters.iter_mut())
            .zip(self.readings.iter_mut())
        {
            meter.feed(&amp.take_meters(), rated_watts, nominal_ohms);
            *reading = meter.readings();
        }
        self.meters.publish(&self.readings);
    }
}

/// 1.0 when the plugin is active, 0.0 when bypassed.
fn wet_target(params: &PowerAmpParams) -> f32 {
    if params.bypass.value() { 0.0 } else { 1.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Offline rendering uses the offline quality (default 8× minimum phase) and reports its
    /// latency; real time uses the real-time quality (default 4× minimum phase).
    #[test]
    fn offline_rendering_switches_to_the_offline_quality() {
        let params = PowerAmpParams::default();
        crate::params::settle_smoothers(&params, 48_000.0);
        let mut realtime = PowerAmpEngine::with_meters(Arc::new(PowerAmpMeters::default()));
        realtime.prepare(48_000.0, 256, 2, false, &params);
        let mut offline = PowerAmpEngine::with_meters(Arc::new(PowerAmpMeters::default()));
        offline.prepare(48_000.0, 256, 2, true, &params);
        let realtime_quality = realtime.amps[0].current().settings().quality;
        let offline_quality = offline.amps[0].current().settings().quality;
        println!(
            "real time {realtime_quality:?} (latency {}), offline {offline_quality:?} (latency {})",
            realtime.latency(),
            offline.latency()
        );
        assert_eq!(realtime_quality, Quality::Standard4x);
        assert_eq!(offline_quality, Quality::High8x);
        assert_eq!(
            offline.latency(),
            offline.amps[0].current().latency_at(Quality::High8x)
        );
    }

    /// The meters the plugin publishes read what the output audio says: a 1 kHz sine at the
    /// default amp's rated point (0 dBFS in, sensitivity +22 dBu), 1.5 s, mono.
    #[test]
    fn published_power_matches_the_power_of_the_output_audio() {
        let params = PowerAmpParams::default();
        crate::params::settle_smoothers(&params, 48_000.0);
        let mut engine = PowerAmpEngine::with_meters(Arc::new(PowerAmpMeters::default()));
        engine.prepare(48_000.0, 512, 1, false, &params);
        engine.reset(&params);
        let mut audio: Vec<f32> = (0..72_000)
            .map(|index| (std::f64::consts::TAU * 1_000.0 * index as f64 / 48_000.0).sin() as f32)
            .collect();
        for block in audio.chunks_mut(512) {
            let mut channels = [block];
            engine.process(&mut channels, &params);
        }
        let latency = engine.latency() as usize;
        let tail = &audio[48_000..];
        let mean_square = tail
            .iter()
            .map(|sample| f64::from(*sample).powi(2))
            .sum::<f64>()
            / tail.len() as f64;
        // Normalised output: 1.0 = √(2PR), so P = 2·P_rated·mean(y²).
        let audio_watts = 2.0 * 100.0 * mean_square;
        let reading = engine.meters().snapshot();
        let error_db = 10.0 * (reading.average_watts / audio_watts).log10();
        println!(
            "meter {:.2} W, audio {audio_watts:.2} W ({error_db:+.3} dB), peak {:.2} W, headroom {:.2} dB, rail {:.1} %, DF {:.2}, clip {} (latency {latency})",
            reading.average_watts,
            reading.peak_watts,
            reading.headroom_db,
            reading.rail_percent,
            reading.damping_factor,
            reading.clipping
        );
        assert!(
            error_db.abs() <= 0.2,
            "published average power {:.3} W vs {audio_watts:.3} W from the audio ({error_db:+.3} dB)",
            reading.average_watts
        );
        assert!(
            (reading.percent_of_rating - 100.0 * reading.average_watts / 100.0).abs() < 1e-3,
            "percent of rating {:.3} for {:.3} W of 100 W",
            reading.percent_of_rating,
            reading.average_watts
        );
        // Sine-equivalent peak power equals the average for a sine (within the 1 % THD's crest).
        assert!(
            (10.0 * (reading.peak_watts / reading.average_watts).log10()).abs() < 0.3,
            "peak {:.2} W vs average {:.2} W for a sine",
            reading.peak_watts,
            reading.average_watts
        );
        // At the rated point the headroom is about 0 dB.
        assert!(
            reading.headroom_db.abs() < 0.5,
            "headroom at the rated point: {:.2} dB",
            reading.headroom_db
        );
    }
}
