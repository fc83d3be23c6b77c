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
pub mod one_step;
pub mod random_features;

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
    /// Run the entry on its default grid with the shared flags.
    pub run: fn(Variant, &CommonArgs) -> Result<RunVerdict, HarnessError>,
}

impl std::fmt::Debug for Entry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Entry").field("name", &self.name).finish()
    }
}

/// Every entry, in the catalog's order.
pub fn entries() -> Vec<Entry> {
    vec![
        // The fixed-point entries (branch cat-fp): random-features, logistic-mle, lasso-amp,
        // one-step-spike.
        Entry {
            name: "random-features",
            formula: "R = (s^2 + k^2 t'S(S + k)^-2 t) / (1 - df2/n), lambda = k (1 - df1(k)/n), S = mu1^2 WW'/d + mu*^2 I (Gaussian equivalent of tanh features), traces over Marchenko-Pastur(N/d)",
            source: "Gaussian equivalence (Mei & Montanari 2022, CPAM, Thm 1 setting; Goldt et al. 2022) + Gaussian ridge deterministic equivalent (Hastie, Montanari, Rosset & Tibshirani 2022; Bach 2023), derived here",
            measures: "test error (noise included, 4d fresh points) of ridge on N tanh random features, n = d, linear target |beta| = 1",
            wrong: "the wrong psi-ratio: degrees of freedom divided by N (features) instead of n (samples)",
            run: random_features::run_entry,
        },
        Entry {
            name: "logistic-mle",
            formula: "alpha_hat -> alpha, sigma2_hat -> sigma^2 where (alpha, sigma, lambda) solve kappa^2 sigma^2 = E[2 r'(Q1) (lambda r'(prox(Q2)))^2], 0 = E[r'(Q1) Q1 r'(prox(Q2))], 1 - kappa = E[2 r'(Q1) / (1 + lambda r''(prox(Q2)))]; exists iff kappa < h_MLE(gamma)",
            source: "Sur & Candes 2019 (PNAS 116:14516), the three-equation system for (alpha*, sigma*, lambda*) and its theorem on the MLE's coordinates; existence boundary h_MLE: Candes & Sur 2020 (Ann. Stat. 48:27), Thm 1",
            measures: "Newton-fitted logistic MLE, x ~ N(0, I/n), gamma^2 = Var(x'beta): alpha_hat = <b, beta>/|beta|^2, sigma2_hat = |b - alpha_hat beta|^2/(p - 1)",
            wrong: "classical theory: alpha = 1 and sigma^2 = 1/E[r''(gamma Z)] (the inverse Fisher information)",
            run: logistic::run_entry,
        },
        Entry {
            name: "lasso-amp",
            formula: "|b - beta|^2/N -> E(eta(X + tau Z; theta tau) - X)^2, tau^2 = noise^2 + E(eta(X + tau Z; theta tau) - X)^2/delta, lambda = theta tau (1 - E eta'(X + tau Z; theta tau)/delta)",
            source: "Bayati & Montanari 2012 (IEEE Trans. Inf. Theory 58:1997), Thm 1.5 with eqs. (1.7)-(1.9)",
            measures: "per-coordinate squared error of the Lasso (coordinate descent to KKT 1e-7), A with N(0, 1/n) entries, beta Bernoulli(eps) x N(0, 1)",
            wrong: "state evolution without the undersampling factor: tau^2 = noise^2 + E(eta - X)^2 (the 1/delta of eq. (1.7) dropped)",
            run: lasso::run_entry,
        },
        Entry {
            name: "one-step-spike",
            formula: "|<u, beta>| -> |c1| / sqrt(c1^2 + (E[s*(z)^2] + noise^2) / psi), psi = n/d, c1 = E[s*'(z)]",
            source: "Ba, Erdogdu, Suzuki, Wang, Wu & Yang 2022 (NeurIPS), Sec. 3: the first gradient is a rank-one spike (mu1/n) X'y a' plus a vanishing bulk; its alignment at isotropic inputs (= the seed paper's Lemma 3.10 at kappa = 1)",
            measures: "alignment of the top left singular vector of the first one-step gradient of a tanh network (N = d/2, symmetric init) with beta; tanh teacher",
            wrong: "the linear part of the label counted as signal only: E[s*^2] replaced by E[s*^2] - c1^2",
            run: one_step::run_entry,
        },
    ]
}

/// The entry called `name`, if there is one.
pub fn entry(name: &str) -> Option<Entry> {
    entries().into_iter().find(|e| e.name == name)
}
