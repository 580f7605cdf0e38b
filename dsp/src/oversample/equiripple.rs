//! Equiripple (minimax) design of the one-band filter behind an FIR half-band, by the Remez exchange.
//!
//! Vaidyanathan & Nguyen ("A 'trick' for the design of FIR half-band filters", IEEE Trans. Circuits
//! and Systems 34(3), 1987): a half-band `H(z) = ½·[z^−(2K−1) + G(z²)]` is equiripple with ripple
//! `δ/2` when `G` is a length-`2K` symmetric (type II) filter whose amplitude approximates 1 within
//! `±δ` on `[0, 2ω_p]`, with nothing asked of it above. Its amplitude is
//! `G(θ) = Σ_{k=0}^{K−1} b_k·cos((k + ½)θ) = cos(θ/2)·P(cos θ)` with `P` a polynomial of degree
//! `K − 1`, so the problem is the weighted Chebyshev approximation of `1/cos(θ/2)` by `P` with weight
//! `cos(θ/2)` (Parks & McClellan, "Chebyshev approximation for nonrecursive digital filters with
//! linear phase", IEEE Trans. Circuit Theory 19(2), 1972), solved here with the Remez exchange and
//! barycentric Lagrange interpolation (Berrut & Trefethen, SIAM Review 46(3), 2004).

use std::f64::consts::PI;

/// Dense-grid points per unknown of the approximation.
const GRID_DENSITY: usize = 32;
/// Remez iterations at most; the exchange normally settles in fewer than 15.
const MAX_ITERATIONS: usize = 60;

/// The result of a one-band design: the cosine coefficients `b_k` and the ripple `δ` reached.
#[derive(Debug, Clone)]
pub struct OneBandDesign {
    /// `b_k` of `G(θ) = Σ b_k·cos((k + ½)θ)`, `k = 0 … K − 1`.
    pub cosine_coefficients: Vec<f64>,
    /// Largest deviation of `G` from 1 on the band (absolute, linear).
    pub ripple: f64,
}

/// Barycentric interpolation through the points `(nodes[i], values[i])` with `weights[i]`.
fn barycentric(position: f64, nodes: &[f64], weights: &[f64], values: &[f64]) -> f64 {
    let mut numerator = 0.0;
    let mut denominator = 0.0;
    for ((&node, &weight), &value) in nodes.iter().zip(weights).zip(values) {
        let difference = position - node;
        if difference.abs() < 1.0e-14 {
            return value;
        }
        let term = weight / difference;
        numerator += term * value;
        denominator += term;
    }
    numerator / denominator
}

/// Barycentric weights `1/Π_{j≠i}(x_i − x_j)`, scaled to avoid overflow.
fn barycentric_weights(nodes: &[f64]) -> Vec<f64> {
    nodes
        .iter()
        .enumerate()
        .map(|(index, &node)| {
            nodes
                .iter()
                .enumerate()
                .filter(|&(other, _)| other != index)
                .map(|(_, &other_node)| 2.0 * (node - other_node))
                .product::<f64>()
                .recip()
        })
        .collect()
}

/// Designs the length-`2·half_length` type-II filter whose amplitude is equiripple around 1 on
/// `[0, band_edge]` (radians, `0 < band_edge < π`).
pub fn one_band_type_two(half_length: usize, band_edge: f64) -> OneBandDesign {
    assert!(half_length >= 1 && band_edge > 0.0 && band_edge < PI);
    let extremal_count = half_length + 1;
    let grid_length = GRID_DENSITY * extremal_count;
    let grid: Vec<f64> = (0..grid_length)
        .map(|index| band_edge * index as f64 / (grid_length - 1) as f64)
        .collect();
    let positions: Vec<f64> = grid.iter().map(|&angle| angle.cos()).collect();
    let desired: Vec<f64> = grid
        .iter()
        .map(|&angle| 1.0 / (angle / 2.0).cos())
        .collect();
    let weight: Vec<f64> = grid.iter().map(|&angle| (angle / 2.0).cos()).collect();

    let mut extremals: Vec<usize> = (0..extremal_count)
        .map(|index| index * (grid_length - 1) / (extremal_count - 1).max(1))
        .collect();
    let mut nodes = Vec::new();
    let mut weights = Vec::new();
    let mut values = Vec::new();
    let mut ripple = 0.0;
    for _ in 0..MAX_ITERATIONS {
        nodes = extremals.iter().map(|&index| positions[index]).collect();
        weights = barycentric_weights(&nodes);
        let sign = |index: usize| if index.is_multiple_of(2) { 1.0 } else { -1.0 };
        let numerator: f64 = extremals
            .iter()
            .zip(&weights)
            .map(|(&grid_index, &w)| w * desired[grid_index])
            .sum();
        let denominator: f64 = extremals
            .iter()
            .zip(&weights)
            .enumerate()
            .map(|(order, (&grid_index, &w))| sign(order) * w / weight[grid_index])
            .sum();
        let level = numerator / denominator;
        values = extremals
            .iter()
            .enumerate()
            .map(|(order, &grid_index)| {
                desired[grid_index] - sign(order) * level / weight[grid_index]
            })
            .collect();
        let error: Vec<f64> = (0..grid_length)
            .map(|index| {
                weight[index]
                    * (desired[index] - barycentric(positions[index], &nodes, &weights, &values))
            })
            .collect();

        // Local extrema of the error (band edges included), then alternation enforced.
        let mut candidates: Vec<usize> = (0..grid_length)
            .filter(|&index| {
                // A local extremum in the signed sense: at least as far from zero, on its own side,
                // as each neighbour (a band edge has only one neighbour).
                let sign = error[index].signum();
                let here = sign * error[index];
                let left = if index > 0 {
                    sign * error[index - 1]
                } else {
                    f64::NEG_INFINITY
                };
                let right = if index + 1 < grid_length {
                    sign * error[index + 1]
                } else {
                    f64::NEG_INFINITY
                };
                here >= left && here >= right && here >= 0.999 * level.abs()
            })
            .collect();
        let mut alternating: Vec<usize> = Vec::with_capacity(candidates.len());
        for index in candidates.drain(..) {
            match alternating.last() {
                Some(&previous) if error[previous].signum() == error[index].signum() => {
                    if error[index].abs() > error[previous].abs() {
                        *alternating.last_mut().expect("non-empty") = index;
                    }
                }
                _ => alternating.push(index),
            }
        }
        while alternating.len() > extremal_count {
            let first = error[alternating[0]].abs();
            let last = error[*alternating.last().expect("non-empty")].abs();
            if first < last {
                alternating.remove(0);
            } else {
                alternating.pop();
            }
        }
        let peak = error
            .iter()
            .fold(0.0_f64, |peak, value| peak.max(value.abs()));
        ripple = peak;
        if alternating.len() < extremal_count {
            break;
        }
        let settled =
            (peak - level.abs()) <= 1.0e-9 * peak.max(1.0e-30) || alternating == extremals;
        extremals = alternating;
        if settled {
            break;
        }
    }

    // b_k from G sampled on the DCT-IV nodes θ_m = π(m + ½)/K: b_k = (2/K)·Σ_m G(θ_m)·cos((k + ½)θ_m).
    let amplitude: Vec<f64> = (0..half_length)
        .map(|node| {
            let angle = PI * (node as f64 + 0.5) / half_length as f64;
            (angle / 2.0).cos() * barycentric(angle.cos(), &nodes, &weights, &values)
        })
        .collect();
    let cosine_coefficients = (0..half_length)
        .map(|order| {
            2.0 / half_length as f64
                * amplitude
                    .iter()
                    .enumerate()
                    .map(|(node, &value)| {
                        let angle = PI * (node as f64 + 0.5) / half_length as f64;
                        value * ((order as f64 + 0.5) * angle).cos()
                    })
                    .sum::<f64>()
        })
        .collect();
    OneBandDesign {
        cosine_coefficients,
        ripple,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_band_design_is_equiripple_at_the_reported_level() {
        let half_length = 20;
        let band_edge = 0.8 * PI;
        let design = one_band_type_two(half_length, band_edge);
        let worst = (0..=4000)
            .map(|step| band_edge * f64::from(step) / 4000.0)
            .map(|angle| {
                let amplitude: f64 = design
                    .cosine_coefficients
                    .iter()
                    .enumerate()
                    .map(|(order, &coefficient)| coefficient * ((order as f64 + 0.5) * angle).cos())
                    .sum();
                (amplitude - 1.0).abs()
            })
            .fold(0.0, f64::max);
        assert!(
            (worst - design.ripple).abs() < 0.02 * design.ripple && design.ripple < 1.0e-3,
            "one-band K = {half_length}: ripple reported {:.3e}, measured {worst:.3e}",
            design.ripple
        );
    }
}
