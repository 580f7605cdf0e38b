//! Reading and writing WAV files as planar `f32` audio (with `hound`).
//!
//! Reads 8/16/24/32-bit integer and 32-bit float PCM, mono or stereo; integer samples are scaled
//! by 1/2^(bits−1) so full scale reads ±1.0. Writes 32-bit float (the default) or 16/24/32-bit
//! integer (rounded and clipped to full scale, no dither). A file is written to a temporary name
//! beside the destination and renamed into place only once it is complete, so a failed write
//! never leaves a partial file under the requested name.

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use anyhow::{Context, bail, ensure};

/// Planar audio: one `Vec` per channel, all the same length.
#[derive(Debug, Clone, PartialEq)]
pub struct Audio {
    /// Sample rate, Hz.
    pub sample_rate: u32,
    /// The channels' samples, full scale ±1.0.
    pub channels: Vec<Vec<f32>>,
}

impl Audio {
    /// Frames (samples per channel).
    pub fn frames(&self) -> usize {
        self.channels.first().map_or(0, Vec::len)
    }

    /// Duration in seconds.
    pub fn seconds(&self) -> f64 {
        self.frames() as f64 / f64::from(self.sample_rate)
    }
}

/// The sample format of a written file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SampleFormat {
    /// 32-bit IEEE float (keeps levels above 0 dBFS).
    #[default]
    Float32,
    /// 16-bit integer.
    Int16,
    /// 24-bit integer.
    Int24,
    /// 32-bit integer.
    Int32,
}

impl SampleFormat {
    /// Every format, as named on the command line.
    pub const ALL: [SampleFormat; 4] = [
        SampleFormat::Float32,
        SampleFormat::Int16,
        SampleFormat::Int24,
        SampleFormat::Int32,
    ];

    /// The command-line name.
    pub fn name(self) -> &'static str {
        match self {
            SampleFormat::Float32 => "float32",
            SampleFormat::Int16 => "int16",
            SampleFormat::Int24 => "int24",
            SampleFormat::Int32 => "int32",
        }
    }

    fn spec(self, channels: u16, sample_rate: u32) -> hound::WavSpec {
        let (bits_per_sample, sample_format) = match self {
            SampleFormat::Float32 => (32, hound::SampleFormat::Float),
            SampleFormat::Int16 => (16, hound::SampleFormat::Int),
            SampleFormat::Int24 => (24, hound::SampleFormat::Int),
            SampleFormat::Int32 => (32, hound::SampleFormat::Int),
        };
        hound::WavSpec {
            channels,
            sample_rate,
            bits_per_sample,
            sample_format,
        }
    }
}

impl fmt::Display for SampleFormat {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.name())
    }
}

impl FromStr for SampleFormat {
    type Err = anyhow::Error;

    fn from_str(text: &str) -> anyhow::Result<Self> {
        SampleFormat::ALL
            .into_iter()
            .find(|format| format.name().eq_ignore_ascii_case(text))
            .ok_or_else(|| {
                let names: Vec<&str> = SampleFormat::ALL.iter().map(|f| f.name()).collect();
                anyhow::anyhow!("unknown sample format {text:?}; use one of {names:?}")
            })
    }
}

/// Reads a mono or stereo WAV file.
pub fn read(path: &Path) -> anyhow::Result<Audio> {
    let mut reader = hound::WavReader::open(path)
        .with_context(|| format!("cannot read {} as a WAV file", path.display()))?;
    let spec = reader.spec();
    ensure!(
        (1..=2).contains(&spec.channels),
        "{} has {} channels; only mono and stereo files are supported",
        path.display(),
        spec.channels
    );
    ensure!(
        spec.sample_rate > 0,
        "{} has a sample rate of 0",
        path.display()
    );
    let interleaved: Vec<f32> = match (spec.sample_format, spec.bits_per_sample) {
        (hound::SampleFormat::Float, 32) => reader
            .samples::<f32>()
            .collect::<Result<_, _>>()
            .with_context(|| format!("reading the samples of {}", path.display()))?,
        (hound::SampleFormat::Int, bits @ (8 | 16 | 24 | 32)) => {
            let scale = 1.0 / f64::from(1_u32 << (bits - 1));
            reader
                .samples::<i32>()
                .map(|sample| sample.map(|value| (f64::from(value) * scale) as f32))
                .collect::<Result<_, _>>()
                .with_context(|| format!("reading the samples of {}", path.display()))?
        }
        (format, bits) => bail!(
            "{} holds {bits}-bit {format:?} samples; supported are 8/16/24/32-bit integer and \
             32-bit float",
            path.display()
        ),
    };
    let channel_count = usize::from(spec.channels);
    let channels = (0..channel_count)
        .map(|channel| {
            interleaved
                .iter()
                .skip(channel)
                .step_by(channel_count)
                .copied()
                .collect()
        })
        .collect();
    Ok(Audio {
        sample_rate: spec.sample_rate,
        channels,
    })
}

/// Writes `audio` as a WAV file in `format`, replacing `path` only once the file is complete.
pub fn write(path: &Path, audio: &Audio, format: SampleFormat) -> anyhow::Result<()> {
    let channel_count = audio.channels.len();
    ensure!(
        (1..=2).contains(&channel_count),
        "cannot write {channel_count} channels; only mono and stereo"
    );
    ensure!(
        audio.channels.iter().all(|c| c.len() == audio.frames()),
        "the channels differ in length"
    );
    let temporary = temporary_path(path);
    let result = write_complete(&temporary, audio, format).and_then(|()| {
        fs::rename(&temporary, path)
            .with_context(|| format!("moving {} to {}", temporary.display(), path.display()))
    });
    if result.is_err() {
        let _ = fs::remove_file(&temporary);
    }
    result
}

fn temporary_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| "output.wav".to_owned());
    path.with_file_name(format!(".{name}.partial-{}", std::process::id()))
}

fn write_complete(path: &Path, audio: &Audio, format: SampleFormat) -> anyhow::Result<()> {
    let spec = format.spec(u16::try_from(audio.channels.len())?, audio.sample_rate);
    let mut writer = hound::WavWriter::create(path, spec)
        .with_context(|| format!("cannot create {}", path.display()))?;
    for frame in 0..audio.frames() {
        for channel in &audio.channels {
            let sample = channel[frame];
            match format {
                SampleFormat::Float32 => writer.write_sample(sample)?,
                SampleFormat::Int16 => writer.write_sample(to_integer(sample, 16) as i16)?,
                SampleFormat::Int24 | SampleFormat::Int32 => {
                    writer.write_sample(to_integer(sample, spec.bits_per_sample))?
                }
            }
        }
    }
    writer
        .finalize()
        .with_context(|| format!("finishing {}", path.display()))?;
    Ok(())
}

/// Rounds a ±1.0 full-scale sample to a `bits`-bit integer, clipping at full scale (NaN → 0).
fn to_integer(sample: f32, bits: u16) -> i32 {
    let full_scale = f64::from(1_u32 << (bits - 1));
    let scaled = (f64::from(sample) * full_scale).round();
    if scaled.is_nan() {
        0
    } else {
        scaled.clamp(-full_scale, full_scale - 1.0) as i32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let folder = std::env::temp_dir().join(format!("gainstage-wav-{}", std::process::id()));
        fs::create_dir_all(&folder).expect("temp folder");
        folder.join(name)
    }

    fn ramp(channels: usize, frames: usize) -> Audio {
        Audio {
            sample_rate: 44_100,
            channels: (0..channels)
                .map(|channel| {
                    (0..frames)
                        .map(|frame| {
                            let phase = ((frame * (channel + 1)) % frames) as f32 / frames as f32;
                            0.9 * (2.0 * phase - 1.0)
                        })
                        .collect()
                })
                .collect(),
        }
    }

    #[test]
    fn every_format_round_trips_within_half_a_step_in_mono_and_stereo() {
        for channels in [1, 2] {
            let audio = ramp(channels, 1_000);
            for format in SampleFormat::ALL {
                let path = scratch(&format!("round-trip-{channels}-{format}.wav"));
                write(&path, &audio, format).expect("write");
                let back = read(&path).expect("read");
                let step = match format {
                    SampleFormat::Float32 => 0.0,
                    SampleFormat::Int16 => 1.0 / 32_768.0,
                    SampleFormat::Int24 => 1.0 / 8_388_608.0,
                    SampleFormat::Int32 => 1.0 / 2_147_483_648.0,
                };
                let worst = audio
                    .channels
                    .iter()
                    .zip(&back.channels)
                    .flat_map(|(a, b)| a.iter().zip(b).map(|(x, y)| f64::from((x - y).abs())))
                    .fold(0.0, f64::max);
                println!("{channels} ch {format}: worst error {worst:.3e} (step {step:.3e})");
                assert_eq!(back.sample_rate, 44_100, "{format} sample rate");
                assert_eq!(back.channels.len(), channels, "{format} channel count");
                assert_eq!(back.frames(), 1_000, "{format} length");
                // f32 itself carries 24 bits, so 32-bit integers are limited by that precision.
                let limit = (step / 2.0_f64).max(f64::from(f32::EPSILON));
                assert!(
                    worst <= limit,
                    "{format}: worst error {worst:.3e} > {limit:.3e}"
                );
                fs::remove_file(&path).ok();
            }
        }
    }

    #[test]
    fn integer_output_clips_at_full_scale_and_maps_nan_to_zero() {
        assert_eq!(to_integer(2.0, 16), 32_767);
        assert_eq!(to_integer(-2.0, 16), -32_768);
        assert_eq!(to_integer(f32::NAN, 24), 0);
        assert_eq!(to_integer(0.5, 24), 4_194_304);
    }

    #[test]
    fn a_non_wav_file_is_a_clear_error_and_a_failed_write_leaves_nothing() {
        let path = scratch("not-a-wav.wav");
        fs::write(&path, b"this is text, not RIFF").expect("write text");
        let error = read(&path).expect_err("text is not a WAV file").to_string();
        println!("reading text as WAV: {error}");
        assert!(error.contains("cannot read") && error.contains("not-a-wav.wav"));

        let missing_folder = scratch("no-such-folder").join("out.wav");
        let failed = write(&missing_folder, &ramp(1, 10), SampleFormat::Float32);
        assert!(failed.is_err(), "writing into a missing folder must fail");
        assert!(!missing_folder.exists(), "no output after a failed write");
        fs::remove_file(&path).ok();
    }
}
