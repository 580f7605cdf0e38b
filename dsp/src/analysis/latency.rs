//! Latency as a person aligning waveforms would read it: where the impulse arrives.

/// Index of the first sample whose magnitude reaches half of the response's peak magnitude.
///
/// `response` is a processor's output for a unit impulse at index 0, so the index is the delay in
/// samples. Panics with a clear message if the response is empty or silent (no arrival to find).
pub fn impulse_arrival(response: &[f32]) -> usize {
    let peak = response
        .iter()
        .filter(|sample| sample.is_finite())
        .fold(0.0_f32, |peak, sample| peak.max(sample.abs()));
    assert!(
        peak > 0.0,
        "impulse_arrival: the response ({} samples) is silent or not finite; no impulse arrived",
        response.len()
    );
    let threshold = 0.5 * peak;
    response
        .iter()
        .position(|sample| sample.abs() >= threshold)
        .expect("the peak itself reaches half the peak")
}
