//! Oversampling by cascaded half-band stages, minimum-phase (IIR) or linear-phase (FIR).
//!
//! Provisional bodies: the published API with an X1 pass-through and a crude hold/average for the
//! higher factors, so dependants can compile. The half-band cascades replace it.

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
    /// Polyphase IIR half-bands: no latency, phase shift near the top of the band.
    MinimumPhase,
    /// Symmetric FIR half-bands: exact phase, an exact integer latency.
    LinearPhase,
}

/// One channel's up/down sampler.
#[derive(Debug, Clone)]
pub struct Oversampler {
    factor: OversamplingFactor,
    flavour: FilterFlavour,
    max_block: usize,
    high_rate: Vec<f32>,
    high_rate_len: usize,
}

impl Oversampler {
    /// Builds an oversampler for `factor` with `flavour` filters. Call [`Oversampler::prepare`] before use.
    pub fn new(factor: OversamplingFactor, flavour: FilterFlavour) -> Self {
        Self {
            factor,
            flavour,
            max_block: 0,
            high_rate: Vec::new(),
            high_rate_len: 0,
        }
    }

    /// Allocates the high-rate buffer for blocks of up to `max_block` base-rate samples.
    pub fn prepare(&mut self, max_block: usize) {
        self.max_block = max_block.max(1);
        self.high_rate = vec![0.0; self.max_block * self.factor()];
        self.high_rate_len = 0;
    }

    /// Clears all filter state without allocating.
    pub fn reset(&mut self) {
        self.high_rate.iter_mut().for_each(|sample| *sample = 0.0);
    }

    /// Round-trip (up then down) delay in base-rate samples.
    pub fn latency(&self) -> u32 {
        0
    }

    /// The oversampling ratio (1, 2, 4, 8 or 16).
    pub fn factor(&self) -> usize {
        self.factor.ratio()
    }

    /// The filter flavour chosen at construction.
    pub fn flavour(&self) -> FilterFlavour {
        self.flavour
    }

    /// Upsamples `input` (at most `max_block` samples) into the internal high-rate buffer and returns it
    /// (`input.len() * factor` samples).
    pub fn upsample(&mut self, input: &[f32]) -> &mut [f32] {
        let ratio = self.factor();
        let len = input.len() * ratio;
        for (chunk, &sample) in self.high_rate[..len].chunks_exact_mut(ratio).zip(input) {
            chunk.iter_mut().for_each(|slot| *slot = sample);
        }
        self.high_rate_len = len;
        &mut self.high_rate[..len]
    }

    /// Downsamples the internal high-rate buffer (`output.len() * factor` samples) into `output`.
    pub fn downsample(&mut self, output: &mut [f32]) {
        let ratio = self.factor();
        let scale = 1.0 / ratio as f32;
        for (out, chunk) in output.iter_mut().zip(self.high_rate.chunks_exact(ratio)) {
            *out = chunk.iter().sum::<f32>() * scale;
        }
    }

    /// Upsamples `block`, runs `stage` on the high-rate signal in place, downsamples back into `block`.
    /// Blocks longer than `max_block` are processed in chunks.
    pub fn process_block(&mut self, block: &mut [f32], mut stage: impl FnMut(&mut [f32])) {
        let chunk_len = self.max_block.max(1);
        for chunk in block.chunks_mut(chunk_len) {
            stage(self.upsample(chunk));
            self.downsample(chunk);
        }
    }
}
