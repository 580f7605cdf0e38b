//! Construction-time numerics for the stages: root finding and the harmonics of a static curve.
//!
//! Nothing here runs on the audio thread; the stages call it while building their tables.

use std::f64::consts::TAU;

/// Root of a continuous, non-decreasing `function` between `low` and `high` (which must bracket
/// it: `function(low) ≤ 0 ≤ function(high)`), by bisection to the last bit of `f64`.
///
/// Bisection is slower than Newton but cannot diverge, which matters for the steep exponentials
/// of the tube equations; construction-time cost is a few hundred evaluations per grid point.
pub fn root_of_increasing(function: impl Fn(f64) -> f64, low: f64, high: f64) -> f64 {
    let (mut low, mut high) = (low, high);
    debug_assert!(
        function(low) <= 0.0 && function(high) >= 0.0,
        "root_of_increasing: [{low}, {high}] does not bracket a root"
    );
    for _ in 0..200 {
        let middle = 0.5 * (low + high);
        if middle <= low || middle >= high {
            break;
        }
        if function(middle) > 0.0 {
            high = middle;
        } else {
            low = middle;
        }
    }
    0.5 * (low + high)
}

/// Output of a feedback loop `y = forward(loop_gain·(input − y))` around a non-decreasing forward
/// path whose output stays within ±`output_bound`: the static closed-loop transfer of a
/// non-inverting amplifier normalised to unity closed-loop gain (loop gain = open-loop gain ×
/// feedback fraction; Black's feedback equation solved exactly instead of linearised).
pub fn closed_loop(
    forward: impl Fn(f64) -> f64,
    loop_gain: f64,
    input: f64,
    output_bound: f64,
) -> f64 {
    root_of_increasing(
        |output| output - forward(loop_gain * (input - output)),
        -output_bound,
        output_bound,
    )
}

/// Amplitudes of the fundamental and harmonics 2..=10 of a static `curve` driven by a sine of
/// `amplitude`, from a direct DFT over one period (no windowing needed: the signal is exactly
/// periodic). Index k holds harmonic k; index 0 holds the DC term.
pub fn static_harmonics(curve: impl Fn(f64) -> f64, amplitude: f64) -> [f64; 11] {
    const POINTS: usize = 1024;
    let samples: Vec<f64> = (0..POINTS)
        .map(|index| curve(amplitude * (TAU * index as f64 / POINTS as f64).sin()))
        .collect();
    let mut harmonics = [0.0; 11];
    for (order, harmonic) in harmonics.iter_mut().enumerate() {
        let (mut cosine_sum, mut sine_sum) = (0.0, 0.0);
        for (index, sample) in samples.iter().enumerate() {
            let phase = TAU * (order * index) as f64 / POINTS as f64;
            cosine_sum += sample * phase.cos();
            sine_sum += sample * phase.sin();
        }
        let scale = if order == 0 { 1.0 } else { 2.0 } / POINTS as f64;
        *harmonic = scale * cosine_sum.hypot(sine_sum);
    }
    harmonics
}

/// THD (harmonics 2..=10 RMS sum over the fundamental, as a ratio) and the fundamental amplitude
/// of a static `curve` driven by a sine of `amplitude`.
pub fn static_thd(curve: impl Fn(f64) -> f64, amplitude: f64) -> (f64, f64) {
    let harmonics = static_harmonics(curve, amplitude);
    let distortion = harmonics[2..].iter().map(|h| h * h).sum::<f64>().sqrt();
    (
        distortion / harmonics[1].max(f64::MIN_POSITIVE),
        harmonics[1],
    )
}

/// The largest sine amplitude in `[lowest, highest]` at which the static `curve` reaches
/// `thd_ratio`, searching down from `highest` (so a curve whose THD is also high at very low level,
/// like a class-B crossover, still gets its clipping point). Returns `highest` if the THD never
/// exceeds the target there.
pub fn clip_amplitude(
    curve: impl Fn(f64) -> f64,
    thd_ratio: f64,
    lowest: f64,
    highest: f64,
) -> f64 {
    const SCAN_STEPS: usize = 96;
    let ratio = (highest / lowest).powf(1.0 / SCAN_STEPS as f64);
    let mut above = highest;
    if static_thd(&curve, highest).0 <= thd_ratio {
        return highest;
    }
    let mut below = highest;
    while below > lowest {
        below /= ratio;
        if static_thd(&curve, below).0 <= thd_ratio {
            break;
        }
        above = below;
    }
    for _ in 0..48 {
        let middle = (below * above).sqrt();
        if static_thd(&curve, middle).0 > thd_ratio {
            above = middle;
        } else {
            below = middle;
        }
    }
    (below * above).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bisection_finds_a_cube_root() {
        let root = root_of_increasing(|x| x * x * x - 2.0, 0.0, 2.0);
        assert!(
            (root - 2.0_f64.cbrt()).abs() < 1e-14,
            "cube root of 2: {root}"
        );
    }

    #[test]
    fn static_harmonics_of_a_cubic_match_the_trigonometric_identity() {
        // sin³ = (3 sin − sin 3θ)/4: for x + x³ at amplitude 1, H1 = 1.75, H3 = 0.25.
        let harmonics = static_harmonics(|x| x + x * x * x, 1.0);
        assert!((harmonics[1] - 1.75).abs() < 1e-12, "H1 {}", harmonics[1]);
        assert!((harmonics[3] - 0.25).abs() < 1e-12, "H3 {}", harmonics[3]);
        assert!(harmonics[2].abs() < 1e-12);
    }
}
