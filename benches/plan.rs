//! `cargo bench --bench plan`: how long `mplsrepl plan scripts/mpls_vpn.rhai` takes, in process
//! (parse the topology, evaluate the script with its stdlib imports, render and diff every
//! router, print the transcript into a buffer). Prints the median and spread over many runs;
//! the target is well under 100 ms.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use mplsrepl::runtime::plan::PlanBackend;
use mplsrepl::script::{Options, ScriptEngine, Session};
use mplsrepl::ui::Reporter;

fn plan_once(script: &std::path::Path) -> usize {
    let (report, buf) = Reporter::buffer(true);
    let session = Session::new(Box::new(PlanBackend), report, Options::default());
    let mut engine = ScriptEngine::new(session);
    engine.run_file(script).expect("the seed script plans");
    let len = buf.lock().unwrap().len();
    len
}

fn main() {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/mpls_vpn.rhai");
    let runs: usize = std::env::var("RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(50);
    let bytes = plan_once(&script); // warm-up (file cache, allocator)
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            plan_once(&script);
            t.elapsed()
        })
        .collect();
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "plan scripts/mpls_vpn.rhai ({bytes} bytes of transcript), {runs} runs: median {:.2} ms, min {:.2} ms, p90 {:.2} ms, max {:.2} ms",
        ms(times[runs / 2]),
        ms(times[0]),
        ms(times[runs * 9 / 10]),
        ms(times[runs - 1])
    );
}
