//! Temporary driver for the vm module (until main.rs wires `mplsrepl vm`).
use std::time::{Duration, Instant};
fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let cfg = mplsrepl::vm::VmConfig::from_env();
    let t = Instant::now();
    let p = |l: &str| eprintln!("[{:6.1}] {l}", t.elapsed().as_secs_f64());
    match args.first().map(String::as_str) {
        Some("build") => mplsrepl::vm::build(&cfg, &p)?,
        Some("up") => println!("DOCKER_HOST={}", mplsrepl::vm::up(&cfg, &p)?),
        Some("down") => mplsrepl::vm::down(&cfg, &p)?,
        Some("status") => println!("{}", mplsrepl::vm::status(&cfg)?),
        Some("sh") => print!(
            "{}",
            mplsrepl::vm::shell(&cfg, &args[1], Duration::from_secs(120))?
        ),
        _ => anyhow::bail!("usage: build|up|down|status|sh CMD"),
    }
    eprintln!("total {:.1} s", t.elapsed().as_secs_f64());
    Ok(())
}
