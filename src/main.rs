//! `mplsrepl`: the command line. Each subcommand is a thin layer over the library.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use mplsrepl::cli;

/// Script, drive and test an MPLS L3VPN lab of FRRouting containers.
///
/// A lab is a topology file (`.topo`: routers, roles, links, addresses) plus a Rhai script
/// (`.rhai`) that configures OSPF, LDP, MP-BGP and VRFs step by step and checks the result
/// with pings, `show ... json` expectations and packet captures.
///
/// Examples:
///   mplsrepl plan scripts/mpls_vpn.rhai     print every action, touch nothing
///   mplsrepl run scripts/mpls_vpn.rhai      build the lab on Docker and run its checks
///   mplsrepl status                         labs on the engine
///   mplsrepl down mpls_vpn                  remove the lab's containers and networks
///   mplsrepl vm up                          start the bundled MPLS-capable Docker VM
#[derive(Parser)]
#[command(name = "mplsrepl", version, about, long_about, verbatim_doc_comment)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    engine: EngineArgs,
}

#[derive(clap::Args, Clone)]
struct EngineArgs {
    /// Docker engine to use (unix:///var/run/docker.sock, tcp://127.0.0.1:23750).
    /// Without it, DOCKER_HOST, then the local socket, then the lab VM.
    #[arg(long, global = true, env = "DOCKER_HOST")]
    docker_host: Option<String>,
    /// Container image for routers that name none in the topology.
    #[arg(long, global = true, default_value = mplsrepl::vm::IMAGE)]
    image: String,
    /// Colors: auto (terminal only), always, never.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
}

#[derive(Clone, Copy, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Subcommand)]
enum Command {
    /// Run a script against a real Docker engine: create the lab, configure it, run the checks.
    ///
    /// Without a usable MPLS-capable engine, the bundled lab VM is built (first time only)
    /// and started. The lab stays up afterwards for exploring; `--down` removes it.
    Run {
        script: PathBuf,
        #[command(flatten)]
        opts: ScriptArgs,
        /// Remove the lab when the script ends (pass or fail).
        #[arg(long)]
        down: bool,
        /// Print every vtysh and kernel line, as `plan` does.
        #[arg(short, long)]
        verbose: bool,
    },
    /// Print what a script (or a bare .topo) would do, step by step, without touching Docker.
    Plan {
        file: PathBuf,
        #[command(flatten)]
        opts: ScriptArgs,
    },
    /// Render a router's complete FRR configuration (frr.conf) after a script's intent.
    Render {
        script: PathBuf,
        /// Router name; all routers when omitted.
        router: Option<String>,
        #[command(flatten)]
        opts: ScriptArgs,
    },
    /// Create a bare topology (.topo) on a real engine: networks, containers, FRR, addresses.
    Up {
        topology: PathBuf,
        #[command(flatten)]
        opts: ScriptArgs,
    },
    /// Remove every container and network of a lab (by label; nothing else is touched).
    Down {
        /// Lab name, or a .topo/.rhai file naming it.
        lab: String,
    },
    /// List labs on the Docker engine, with their containers.
    Status,
    /// Check that the Docker engine can run an MPLS lab, and say how to fix what is missing.
    Doctor,
    /// The bundled lab VM: an MPLS-capable dockerd in qemu (Debian kernel, docker.io, FRR).
    Vm {
        #[command(subcommand)]
        action: VmAction,
    },
}

#[derive(clap::Args, Clone)]
struct ScriptArgs {
    /// Timer profile: `article` (FRR defaults, as in the article) or `fast` (seconds to converge).
    #[arg(long, default_value = "article")]
    profile: String,
    /// Lab name instead of the topology's (to run two copies side by side).
    #[arg(long)]
    lab_name: Option<String>,
    /// Seconds a check may retry before it fails.
    #[arg(long, default_value_t = 180)]
    check_timeout: u64,
    /// Directory for pcap files of captures.
    #[arg(long, default_value = "captures")]
    capture_dir: PathBuf,
}

#[derive(Subcommand)]
enum VmAction {
    /// Build the VM disk and the FRR image (cached; seconds when nothing changed).
    Build,
    /// Boot the VM (building it first if needed) and print the DOCKER_HOST to use.
    Up,
    /// Power the VM off.
    Down,
    /// Is the VM running, and what does its dockerd say.
    Status,
    /// Run a shell command as root inside the VM.
    Sh { command: String },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let color = match cli.engine.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => std::io::IsTerminal::is_terminal(&std::io::stdout()),
    };
    let engine = cli::EngineChoice {
        docker_host: cli.engine.docker_host.clone(),
        image: cli.engine.image.clone(),
    };
    let result = match cli.command {
        None => cli::repl(&engine, color),
        Some(Command::Run {
            script,
            opts,
            down,
            verbose,
        }) => cli::run(
            &engine,
            &script,
            &to_options(&engine, &opts),
            color,
            verbose,
            down,
        ),
        Some(Command::Plan { file, opts }) => cli::plan(&file, &to_options(&engine, &opts), color),
        Some(Command::Render {
            script,
            router,
            opts,
        }) => cli::render(&script, router.as_deref(), &to_options(&engine, &opts)),
        Some(Command::Up { topology, opts }) => {
            cli::up(&engine, &topology, &to_options(&engine, &opts), color)
        }
        Some(Command::Down { lab }) => cli::down(&engine, &lab_name_of(&lab)),
        Some(Command::Status) => cli::status(&engine),
        Some(Command::Doctor) => cli::doctor(&engine, color),
        Some(Command::Vm { action }) => vm(action),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn to_options(engine: &cli::EngineChoice, args: &ScriptArgs) -> mplsrepl::script::Options {
    mplsrepl::script::Options {
        default_image: engine.image.clone(),
        profile: mplsrepl::script::Profile::parse(&args.profile).unwrap_or_else(|| {
            eprintln!(
                "error: unknown profile `{}`: expected article or fast",
                args.profile
            );
            std::process::exit(2)
        }),
        check_timeout: std::time::Duration::from_secs(args.check_timeout),
        capture_dir: args.capture_dir.clone(),
        lab_name: args.lab_name.clone(),
        ..Default::default()
    }
}

/// `down` takes a lab name, or a file whose topology names the lab.
fn lab_name_of(arg: &str) -> String {
    let path = Path::new(arg);
    if path.is_file() {
        if let Ok(name) = cli::lab_name_from_file(path) {
            return name;
        }
    }
    arg.to_string()
}

fn vm(action: VmAction) -> anyhow::Result<ExitCode> {
    use mplsrepl::vm;
    let cfg = vm::VmConfig::from_env();
    let progress = |msg: &str| eprintln!("[vm] {msg}");
    match action {
        VmAction::Build => vm::build(&cfg, &progress)?,
        VmAction::Up => {
            let host = vm::up(&cfg, &progress)?;
            println!("export DOCKER_HOST={host}");
        }
        VmAction::Down => vm::down(&cfg, &progress)?,
        VmAction::Status => println!("{}", vm::status(&cfg)?),
        VmAction::Sh { command } => print!(
            "{}",
            vm::shell(&cfg, &command, std::time::Duration::from_secs(120))?
        ),
    }
    Ok(ExitCode::SUCCESS)
}
