//! # catalog — the field's classic limit formulas, checked against simulation
//!
//! Each entry is a limit formula with its source, its own simulator, a default grid that crosses
//! the formula's interesting regime, and a deliberately wrong variant (a sign, a factor, a
//! branch) that the verdict must call DISAGREE. Every entry is an ordinary [`engine::Check`] run
//! by [`engine::run_check`], exactly as a researcher's own check: no allowance is hand-tuned per
//! entry; the engine measures each entry's finite-size bias on the grid's dimension axis.
#![warn(missing_docs)]

use engine::{CommonArgs, HarnessError, RunVerdict};

pub mod common;
pub mod lasso;
pub mod logistic;
pub mod marchenko_pastur;
pub mod one_step;
pub mod random_features;
pub mod ridge;
mod rmt;
pub mod spiked_covariance;
pub mod wigner;

/// Which formula an entry checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// The published limit formula.
    Correct,
    /// A deliberately wrong formula (a sign, a factor, a branch): the verdict's power.
    Wrong,
}

/// One catalog entry: what it checks, where the formula comes from, and how to run it.
#[derive(Clone, Copy)]
pub struct Entry {
    /// Short name, used on the command line and as the output folder (`marchenko-pastur`).
    pub name: &'static str,
    /// The formula, in one line of plain text.
    pub formula: &'static str,
    /// The formula's source: paper, theorem or equation number.
    pub source: &'static str,
    /// What the simulation measures, in one line.
    pub measures: &'static str,
    /// What the wrong variant changes, in one line.
    pub wrong: &'static str,
    /// Run the entry on its default grid, its dimension axis `d` multiplied by the size factor
    /// (1 for the defaults; see [`sized`]), with the shared flags.
    pub run: fn(Variant, f64, &CommonArgs) -> Result<RunVerdict, HarnessError>,
}

impl std::fmt::Debug for Entry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Entry").field("name", &self.name).finish()
    }
}

/// The largest size factor `verify catalog --size` takes (d = 200 becomes 4000).
pub const MAX_SIZE: f64 = 20.0;

/// `grid` with its dimension axis `d` multiplied by `size` and rounded (the sample sizes follow:
/// each entry derives them from d and its ratios). `size` 1 is the entry's default.
pub fn sized(mut grid: engine::Grid, size: f64) -> engine::Grid {
    for (name, values) in grid.axes.iter_mut() {
        if name == "d" {
            values.iter_mut().for_each(|d| *d = (*d * size).round());
        }
    }
    grid
}

/// Every entry, in the catalog's order.
pub fn entries() -> Vec<Entry> {
    vec![
        marchenko_pastur::ENTRY,
        wigner::ENTRY,
        spiked_covariance::ENTRY,
        ridge::ENTRY,
        Entry {
            name: "random-features",
            formula: "R = (s² + κ² θ*ᵀΣ(Σ + κ)⁻²θ*) / (1 − df₂/n), λ = κ (1 − df₁(κ)/n), Σ = μ₁² WWᵀ/d + μ*² I (Gaussian equivalent of tanh features), df_k = tr Σᵏ(Σ + κ)⁻ᵏ over Marchenko–Pastur(N/d)",
            source: "Gaussian equivalence (Mei & Montanari 2022, CPAM, Thm 1 setting; Goldt et al. 2022) + the Gaussian ridge deterministic equivalent (Hastie, Montanari, Rosset & Tibshirani 2022; Bach 2023), combined here",
            measures: "test error (noise included, 4d fresh points) of ridge on N tanh random features, n = d, linear target ‖β‖ = 1: N/n ∈ {0.5, 1, 2, 4} (double descent at N = n), λ ∈ {0.01, 0.1}, τ ∈ {0, 0.5}, d = 100",
            wrong: "the wrong ratio: degrees of freedom divided by N (features) instead of n (samples)",
            run: random_features::run_entry,
        },
        Entry {
            name: "logistic-mle",
            formula: "α̂ → α, σ̂² → σ² where (α, σ, λ) solve κ²σ² = E[2ρ′(Q₁)(λρ′(prox_λρ(Q₂)))²], 0 = E[ρ′(Q₁)Q₁ρ′(prox_λρ(Q₂))], 1 − κ = E[2ρ′(Q₁)/(1 + λρ″(prox_λρ(Q₂)))]; the MLE exists iff κ < h_MLE(γ)",
            source: "Sur & Candès 2019 (PNAS 116:14516), the three-equation system for (α*, σ*, λ*) and its theorem on the MLE's coordinates; existence boundary h_MLE: Candès & Sur 2020 (Ann. Stat. 48:27), Thm 1",
            measures: "Newton-fitted logistic MLE b, x ~ N(0, I/n), γ² = Var(xᵀβ): α̂ = ⟨b, β⟩/‖β‖², σ̂² = ‖b − α̂β‖²/(p − 1); κ ∈ {0.1, 0.15}, γ² ∈ {1, 5}, p = 100",
            wrong: "classical theory: α = 1 and σ² = 1/E[ρ″(γZ)] (the inverse Fisher information)",
            run: logistic::run_entry,
        },
        Entry {
            name: "lasso-amp",
            formula: "‖β̂ − β‖²/N → E(η(X + τZ; θτ) − X)², τ² = σ² + E(η(X + τZ; θτ) − X)²/δ, λ = θτ (1 − E η′(X + τZ; θτ)/δ)",
            source: "Bayati & Montanari 2012 (IEEE Trans. Inf. Theory 58:1997), Thm 1.5 with eqs. (1.7)–(1.9)",
            measures: "per-coordinate squared error of the Lasso (coordinate descent to KKT 1e-7), A with N(0, 1/n) entries, β Bernoulli(ε) × N(0, 1): δ ∈ {0.5, 1}, ε ∈ {0.1, 0.2}, λ ∈ {0.1, 1, 10}, σ ∈ {0, 0.2}, N = 200",
            wrong: "state evolution without the undersampling factor: τ² = σ² + E(η − X)² (the 1/δ of eq. (1.7) dropped)",
            run: lasso::run_entry,
        },
        Entry {
            name: "one-step-spike",
            formula: "|⟨u, β⟩| → |c₁| / √(c₁² + (E σ*(z)² + σ_ε²)/ψ), ψ = n/d, c₁ = E σ*′(z)",
            source: "Ba, Erdogdu, Suzuki, Wang, Wu & Yang 2022 (NeurIPS), Sec. 3: the first gradient is a rank-one spike (μ₁/n) Xᵀy aᵀ plus a vanishing bulk; its alignment at isotropic inputs (= the seed paper's Lemma 3.10 at κ = 1)",
            measures: "alignment with β of the top left singular vector of the first gradient of a tanh network (N = d/2, symmetric init); tanh teacher, ψ ∈ {0.5, 1, 2, 4}, noise ∈ {0, 0.5}, d = 256",
            wrong: "the linear part of the label counted as signal only: E σ*² replaced by E σ*² − c₁²",
            run: one_step::run_entry,
        },
    ]
}

/// The entry called `name`, if there is one.
pub fn entry(name: &str) -> Option<Entry> {
    entries().into_iter().find(|e| e.name == name)
}
