//! Kernel benchmarks at the sizes (d = 1000, ψ = 4, N = d), single-threaded faer, with the
//! machine's dense GEMM rate measured the same way as the reference. Throughput is declared as
//! FLOPs, so criterion's "elem/s" reads as FLOP/s.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use engine::rng::unit_rng;
use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, Par};
use sims::direction_stats::draw_stats;
use sims::single_index::{
    direction_trial, direction_trial_from_stats, draw_problem, kfac_factor, network_trial,
};
use sims::PAPER_METHODS;
use std::hint::black_box;
use theory::Activation;

const D: usize = 1000;
const N_SAMPLES: usize = 4000;
const WIDTH: usize = 1000;

fn random(rows: usize, cols: usize, seed: u64) -> Mat<f64> {
    use rand::RngExt;
    let mut rng = unit_rng(seed, 0, 0);
    Mat::from_fn(rows, cols, |_, _| {
        rng.sample::<f64, _>(rand_distr::StandardNormal)
    })
}

fn kernels(c: &mut Criterion) {
    faer::set_global_parallelism(Par::Seq);
    let mut g = c.benchmark_group("kernels");
    g.sample_size(10);

    // The machine's reference rate: a square 1000³ GEMM (2·10⁹ FLOP).
    let a = random(D, D, 1);
    let b = random(D, D, 2);
    let mut out = Mat::<f64>::zeros(D, D);
    g.throughput(Throughput::Elements((2 * D * D * D) as u64));
    g.bench_function("gemm_1000_reference", |bch| {
        bch.iter(|| {
            matmul(
                out.as_mut(),
                Accum::Replace,
                a.as_ref(),
                b.as_ref(),
                1.0,
                Par::Seq,
            )
        })
    });

    // XᵀX/n + λI and its Cholesky (SYRK n·d² + d³/3 FLOP).
    let x = random(N_SAMPLES, D, 3);
    g.throughput(Throughput::Elements(
        (N_SAMPLES * D * D + D * D * D / 3) as u64,
    ));
    g.bench_function("kfac_factor_syrk_cholesky", |bch| {
        bch.iter(|| black_box(kfac_factor(x.as_ref(), 0.1, Par::Seq).unwrap()))
    });

    // H = X W (n × d × N/2, 2·n·d·N/2 FLOP): the network's forward product.
    let w = random(D, WIDTH / 2, 4);
    let mut h = Mat::<f64>::zeros(N_SAMPLES, WIDTH / 2);
    g.throughput(Throughput::Elements((N_SAMPLES * D * WIDTH) as u64));
    g.bench_function("forward_xw", |bch| {
        bch.iter(|| {
            matmul(
                h.as_mut(),
                Accum::Replace,
                x.as_ref(),
                w.as_ref(),
                1.0,
                Par::Seq,
            )
        })
    });

    // Aᵀ = Xᵀ D (d × n × N/2): the gradient product.
    let mut at = Mat::<f64>::zeros(D, WIDTH / 2);
    g.bench_function("gradient_xtd", |bch| {
        bch.iter(|| {
            matmul(
                at.as_mut(),
                Accum::Replace,
                x.transpose(),
                h.as_ref(),
                1.0,
                Par::Seq,
            )
        })
    });
    g.finish();

    // Whole trials (throughput in trials).
    let mut t = c.benchmark_group("trials");
    t.sample_size(10);
    t.throughput(Throughput::Elements(1));
    let sq = vec![1.0; D];
    for (name, level) in [("direction", 0), ("network", 1)] {
        t.bench_with_input(
            BenchmarkId::new(name, "d1000_psi4"),
            &level,
            |bch, &level| {
                let mut trial = 0;
                bch.iter(|| {
                    let mut rng = unit_rng(0, 1, trial);
                    trial += 1;
                    let pb = draw_problem(&sq, N_SAMPLES, &Activation::Tanh, 0.1, &mut rng);
                    if level == 0 {
                        black_box(direction_trial(&pb, 0.1, &PAPER_METHODS, Par::Seq).unwrap())
                    } else {
                        black_box(
                            network_trial(
                                &pb,
                                &Activation::Tanh,
                                WIDTH,
                                0.1,
                                &PAPER_METHODS,
                                &mut rng,
                                Par::Seq,
                            )
                            .unwrap(),
                        )
                    }
                })
            },
        );
    }
    // The direction level as the model runs it: statistics drawn without X (O(d³ + n)).
    t.bench_function("direction_stats/d1000_psi4", |bch| {
        let mut trial = 0;
        bch.iter(|| {
            let mut rng = unit_rng(0, 3, trial);
            trial += 1;
            let st = draw_stats(&sq, N_SAMPLES, &Activation::Tanh, 0.1, &mut rng, Par::Seq);
            black_box(direction_trial_from_stats(&st, 0.1, &PAPER_METHODS, Par::Seq).unwrap())
        })
    });
    t.bench_function("draw_problem_d1000_psi4", |bch| {
        let mut trial = 0;
        bch.iter(|| {
            let mut rng = unit_rng(0, 2, trial);
            trial += 1;
            black_box(draw_problem(
                &sq,
                N_SAMPLES,
                &Activation::Tanh,
                0.1,
                &mut rng,
            ))
        })
    });
    t.finish();
}

criterion_group!(benches, kernels);

/// Lemmas 3.10 and 3.12 over a 200 × 200 (κ, ψ) grid, both methods (the target: < 0.5 s).
fn theory_grid(c: &mut Criterion) {
    use sims::{Level, SingleIndexModel, SingleIndexPoint};
    let model = SingleIndexModel {
        family: theory::SpectrumFamily::TwoPoint { p: 0.5 },
        normalize: true,
        teacher: Activation::Tanh,
        student: Activation::Tanh,
        noise: 0.1,
        level: Level::Direction,
        allowance_scale: 1.0,
        alignment: sims::Alignment::Euclidean,
        methods: sims::PAPER_METHODS.to_vec(),
    };
    let points: Vec<SingleIndexPoint> = (0..200)
        .flat_map(|i| {
            (0..200).map(move |j| SingleIndexPoint {
                kappa: 1.0 + 29.0 * i as f64 / 199.0,
                psi: 0.2 + 19.8 * j as f64 / 199.0,
                lambda: 0.1,
                d: 1000,
                width: 1000,
            })
        })
        .collect();
    let mut g = c.benchmark_group("theory");
    g.sample_size(10);
    g.throughput(Throughput::Elements(points.len() as u64));
    g.bench_function("grid_200x200_two_point", |b| {
        b.iter(|| black_box(model.limits_many(&points)))
    });
    g.finish();
}

criterion_group!(theory_benches, theory_grid);
criterion_main!(benches, theory_benches);
