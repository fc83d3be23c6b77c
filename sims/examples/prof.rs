use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, Par};
use sims::rng::unit_rng;
use sims::single_index::*;
use std::time::Instant;
use theory::Activation;
fn main() {
    let d = 1000;
    let n = 4000;
    let half = 500;
    let sq = vec![1.0; d];
    let mut rng = unit_rng(0, 1, 2);
    for _ in 0..3 {
        let t = Instant::now();
        let pb = draw_problem(&sq, n, &Activation::Tanh, 0.1, &mut rng);
        let t1 = t.elapsed();
        let w = Mat::<f64>::from_fn(d, half, |i, j| ((i * 7 + j * 13) % 17) as f64 / 17.0 - 0.5);
        let t = Instant::now();
        let mut h = Mat::<f64>::zeros(n, half);
        matmul(
            h.as_mut(),
            Accum::Replace,
            pb.x.as_ref(),
            w.as_ref(),
            1.0,
            Par::Seq,
        );
        let t2 = t.elapsed();
        let t = Instant::now();
        for j in 0..half {
            h.col_as_slice_mut(j)
                .iter_mut()
                .zip(&pb.y)
                .for_each(|(v, &yi)| *v = yi * Activation::Tanh.derivative(*v));
        }
        let t3 = t.elapsed();
        let t = Instant::now();
        let mut at = Mat::<f64>::zeros(d, half);
        matmul(
            at.as_mut(),
            Accum::Replace,
            pb.x.transpose(),
            h.as_ref(),
            1.0,
            Par::Seq,
        );
        let t4 = t.elapsed();
        let t = Instant::now();
        let g: Vec<f64> = (0..d).map(|i| i as f64).collect();
        let v = top_left_singular_vector(at.as_ref(), &g, Par::Seq).unwrap();
        let t5 = t.elapsed();
        let t = Instant::now();
        let l = kfac_factor(pb.x.as_ref(), 0.1, Par::Seq).unwrap();
        let t6 = t.elapsed();
        let t = Instant::now();
        faer::linalg::cholesky::llt::solve::solve_in_place(
            l.as_ref(),
            at.as_mut(),
            Par::Seq,
            faer::dyn_stack::MemStack::new(&mut []),
        );
        let t7 = t.elapsed();
        let t = Instant::now();
        let mut rng2 = unit_rng(0, 1, 3);
        let r = network_trial(&pb, &Activation::Tanh, 1000, 0.1, &mut rng2, Par::Seq).unwrap();
        let t8 = t.elapsed();
        println!("draw {:?} xw {:?} tanh {:?} xtd {:?} topsv {:?} factor {:?} solve {:?} | full network_trial {:?} {}", t1, t2, t3, t4, t5, t6, t7, t8, r[0] + v[0]);
    }
}
