"""Figure 3 (right) of Zhang, Moniri et al. (ICML 2025), redrawn from the array functions alone:
ρ of one-step SGD (Lemma 3.10) and KFAC (Lemma 3.12) against the anisotropy κ.

    python examples/python/figure3_right.py        # writes figure3_right.png (needs matplotlib)
"""

import numpy as np

import hdverify as hv


def main() -> None:
    kappa = np.linspace(1, 10, 91)
    rho = hv.rho(["sgd", "kfac"], kappa=kappa, psi=2.0, lambda_=0.1, noise=0.1,
                 spectrum="two-point", activation="tanh", level="network")
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        for k, (s, f) in zip(kappa[::10], rho[::10]):
            print(f"kappa {k:5.2f}   sgd {s:.4f}   kfac {f:.4f}")
        print("(pip install matplotlib to draw the figure)")
        return
    fig, ax = plt.subplots(figsize=(5, 3.5))
    ax.plot(kappa, rho[:, 0], label="SGD (Lemma 3.10)", color="#1f77b4")
    ax.plot(kappa, rho[:, 1], label="KFAC (Lemma 3.12)", color="#d62728")
    ax.set_xlabel("anisotropy κ")
    ax.set_ylabel("correlation ρ with β*")
    ax.set_title("Figure 3 (right): ψ = 2, λ = 0.1, tanh")
    ax.legend()
    fig.tight_layout()
    fig.savefig("figure3_right.png", dpi=120)
    print("wrote figure3_right.png")


if __name__ == "__main__":
    main()
