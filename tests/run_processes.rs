use concurrency_playground::engine::gil::Kernel;
use concurrency_playground::engine::work::Factorial;

#[test]
fn probe_factorial_time() {
    for n in [10_000u32, 20_000, 30_000, 50_000] {
        let t = std::time::Instant::now();
        let mut k = Factorial::new(n);
        let mut steps = 0;
        while k.step().is_none() { steps += 1; }
        eprintln!("n={n} {:?} steps={steps}", t.elapsed());
    }
}
