//! `mplsrepl`: the command line. Each subcommand is a thin layer over the library.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use mplsrepl::{cli, cli_export};

/// Script, drive and test an MPLS L3VPN lab of FRRouting containers.
///
/// A lab is a topology file (`.topo`: routers, roles, links, addresses) plus a Rhai script
/// (`.rhai`) that configures OSPF, LDP, MP-BGP and VRFs step by step and checks the result
/// with pings, `show ... json` expectations and packet captures.
///
/// Examples:
///   mplsrepl                                the interactive REPL (`--plan`: without Docker)
///   mplsrepl plan scripts/mpls_vpn.rhai     print every action, touch nothing
///   mplsrepl run scripts/mpls_vpn.rhai      build the lab on Docker and run its checks
///   mplsrepl status                         labs on the engine
///   mplsrepl down mpls_vpn                  remove the lab (its containers, by label)
///   mplsrepl vm up                          start the bundled MPLS-capable Docker VM
#[derive(Parser)]
#[command(
    name = "mplsrepl",
    version,
    about,
    long_about,
    verbatim_doc_comment,
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    repl: ReplArgs,
    /// Colors: auto (terminal only), always, never.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
}

/// Options of the interactive REPL (no subcommand).
#[derive(clap::Args, Clone)]
struct ReplArgs {
    /// REPL against the plan backend: every action is printed, nothing needs Docker.
    #[arg(long)]
    plan: bool,
    /// History file of the REPL (default: mplsrepl/history in the user's data directory).
    #[arg(long, value_name = "FILE")]
    history: Option<PathBuf>,
    #[command(flatten)]
    lab: LabArgs,
    #[command(flatten)]
    image: ImageArg,
}

/// The Docker engine, for the commands that talk to one.
#[derive(clap::Args, Clone)]
struct EngineArg {
    /// Docker engine to use (unix:///var/run/docker.sock, tcp://127.0.0.1:23750).
    /// Without it, DOCKER_HOST, then the local socket, then the lab VM.
    #[arg(long, env = "DOCKER_HOST", value_name = "URL")]
    docker_host: Option<String>,
    /// Spread the lab over several Docker engines: URL[@UNDERLAY],... where UNDERLAY is the
    /// address the other engines reach this one's host at (known for the lab VMs of
    /// `mplsrepl vm up --count N`). Links between routers on two engines become VXLAN
    /// tunnels between those addresses; everything else works as on one engine. It takes
    /// the place of --docker-host (and DOCKER_HOST).
    #[arg(long, env = "MPLSREPL_ENGINES", value_name = "URLS")]
    engines: Option<String>,
}

/// How a lab that a command creates is made.
#[derive(clap::Args, Clone)]
struct LabArgs {
    #[command(flatten)]
    engine: EngineArg,
    /// How links are wired: `veth` pairs (and a bridge for a `network` segment) made by one
    /// helper container, as containerlab does; or one Docker bridge `network` per segment,
    /// as in the article (visible to `docker network ls`, other containers can join).
    #[arg(long, value_enum, env = "MPLSREPL_LINKS", default_value_t = LinksChoice::Veth)]
    links: LinksChoice,
    /// With --engines: which engine (numbered from 1) runs a router, ROUTER=N,...; the others
    /// are placed automatically, balanced and next to their neighbors (`plan` shows where).
    #[arg(long, value_name = "ROUTER=N,...", requires = "engines")]
    place: Option<String>,
}

/// The image of routers that name none in the topology.
#[derive(clap::Args, Clone)]
struct ImageArg {
    /// Container image for routers that name none in the topology.
    #[arg(long, default_value = mplsrepl::vm::IMAGE)]
    image: String,
}

#[derive(Clone, Copy, ValueEnum)]
enum LinksChoice {
    Veth,
    #[value(name = "docker")]
    DockerNetworks,
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
    ///
    /// Ctrl-C (or SIGTERM) stops at the next safe point: the Docker call under way finishes.
    /// A lab still being created, or any lab with `--down`, is then removed; otherwise it is
    /// left as it is (`mplsrepl down LAB` removes it). Exit code 130 (SIGTERM: 143); a second
    /// Ctrl-C leaves at once.
    ///
    /// Exit codes: 0 every check passed; 1 a check failed, FRR did not take a change or the
    /// engine failed; 2 the script or topology is wrong (nothing was done); N the script
    /// called exit(N); 130/143 interrupted. `--report FILE.xml` tells a CI system which check
    /// failed, in which step.
    Run {
        /// A script (.rhai), or a lab directory written by `mplsrepl save`.
        #[arg(value_parser = lab_file)]
        script: PathBuf,
        #[command(flatten)]
        opts: ScriptArgs,
        #[command(flatten)]
        checks: CheckArgs,
        #[command(flatten)]
        lab: LabArgs,
        /// Remove the lab when the script ends (pass or fail).
        #[arg(long)]
        down: bool,
        /// Print every vtysh and kernel line, as `plan` does.
        #[arg(short, long)]
        verbose: bool,
        /// Pause before each step: show what it will do, then run it, skip it, stop, or drop
        /// into the REPL with the lab as it is.
        #[arg(long)]
        step: bool,
        /// Write the checks' outcomes to FILE for a CI system: JUnit XML (a test case per
        /// check, a suite per step) for FILE.xml, JSON for FILE.json. May be given twice.
        #[arg(long, value_name = "FILE", value_parser = report_file)]
        report: Vec<PathBuf>,
        /// Build, script, check and remove the lab N times, then print per check how often it
        /// passed and how long it took to, per step the median, p90 and max time, and each
        /// failed run's first failure. What to run before trusting a lab in CI; exit 1 if any
        /// run failed. `--report` holds every run.
        #[arg(long, value_name = "N", default_value_t = 1,
              value_parser = clap::value_parser!(u32).range(1..=1000),
              conflicts_with = "step")]
        repeat: u32,
    },
    /// Print what a script (or a bare .topo) would do, step by step, without touching Docker.
    Plan {
        /// A script (.rhai), a topology (.topo), or a lab directory written by `mplsrepl save`.
        #[arg(value_parser = lab_file)]
        file: PathBuf,
        #[command(flatten)]
        opts: ScriptArgs,
        /// Also show where the routers would run over these engines (as `run --engines`).
        #[arg(long, env = "MPLSREPL_ENGINES", value_name = "URLS")]
        engines: Option<String>,
        /// With --engines: routers pinned to an engine, ROUTER=N,... (as `run --place`).
        #[arg(long, value_name = "ROUTER=N,...", requires = "engines")]
        place: Option<String>,
    },
    /// Render a router's complete FRR configuration (frr.conf) after a script's intent.
    Render {
        /// The script (.rhai) whose final intent to render.
        #[arg(value_parser = lab_file)]
        script: PathBuf,
        /// Router name; all routers when omitted.
        router: Option<String>,
        #[command(flatten)]
        opts: ScriptArgs,
    },
    /// Create a bare topology (.topo) on a real engine: containers, links, FRR, addresses.
    ///
    /// Ctrl-C (or SIGTERM) stops at the next safe point (the Docker call under way finishes)
    /// and removes what was created. Exit code 130 (SIGTERM: 143); a second Ctrl-C leaves at
    /// once.
    Up {
        /// The topology (.topo).
        #[arg(value_parser = lab_file)]
        topology: PathBuf,
        #[command(flatten)]
        opts: ScriptArgs,
        #[command(flatten)]
        lab: LabArgs,
    },
    /// Run a tutorial: prose between steps, pauses, and checkpoints that say what is wrong.
    ///
    /// Without NAME, the catalogue shipped in the binary: the tutorials with their level and
    /// time, and the example labs (`mplsrepl run builtin:NAME`). NAME is a tutorial of the
    /// catalogue (e.g. `seed`, the eight-step walkthrough) or a path to a script. Ctrl-C stops
    /// it as it stops `run`.
    ///
    /// Examples:
    ///   mplsrepl tutorial                        what there is to learn
    ///   mplsrepl tutorial seed                   the walkthrough, pausing after each step
    ///   mplsrepl tutorial seed --save my-lab/    write it out to edit, then
    ///   mplsrepl tutorial my-lab/tutorials/seed.rhai
    #[command(verbatim_doc_comment)]
    Tutorial {
        /// A tutorial of the catalogue by name (`seed`), or a path to a .rhai file.
        name: Option<String>,
        /// Do not pause between steps (unattended, as in CI).
        #[arg(long)]
        yes: bool,
        /// Write the tutorial and the topology it uses into DIR instead of running it.
        #[arg(long, value_name = "DIR", requires = "name")]
        save: Option<PathBuf>,
        /// What a break/fix lab's `pick` chooses by: the same N gives every learner the same
        /// fault. Without it, a random one (printed, to hand out).
        #[arg(long, value_name = "N")]
        seed: Option<u64>,
        /// Say what the break/fix lab broke as soon as it is broken (for the instructor).
        #[arg(long)]
        reveal: bool,
        /// Remove the lab when the tutorial ends (pass or fail).
        #[arg(long)]
        down: bool,
        /// Grading: each checkpoint, and each exercise with its time and the hints used, to
        /// FILE as JUnit XML (FILE.xml) or JSON, as `run --report` writes them.
        #[arg(long, value_name = "FILE", value_parser = report_file)]
        report: Vec<PathBuf>,
        #[command(flatten)]
        opts: ScriptArgs,
        #[command(flatten)]
        checks: CheckArgs,
        #[command(flatten)]
        lab: LabArgs,
    },
    /// Remove every container (and Docker network) of a lab, by label; nothing else is touched.
    ///
    /// Every router is stopped in the same instant first (from the lab's links container),
    /// then the containers are removed: a router removed while its neighbours still run makes
    /// them reconverge, and in a lab of a hundred routers that alone kept the engine busy
    /// for many minutes.
    Down {
        /// Lab name, or a .topo/.rhai file naming it.
        lab: String,
        #[command(flatten)]
        engine: EngineArg,
    },
    /// List labs on the Docker engine, with their containers.
    Status {
        #[command(flatten)]
        engine: EngineArg,
    },
    /// Check that the Docker engine can run an MPLS lab, and say how to fix what is missing.
    Doctor {
        #[command(flatten)]
        engine: EngineArg,
        #[command(flatten)]
        image: ImageArg,
    },
    /// The bundled lab VM: an MPLS-capable dockerd in qemu (Debian kernel, docker.io, FRR).
    Vm {
        #[command(subcommand)]
        action: VmAction,
    },
    /// Draw the lab: SVG (to LAB.svg unless --out), Graphviz DOT, Mermaid or an ASCII sketch
    ///
    /// Routers show their role (shape and colour) and loopback; each link its name and subnet,
    /// and at each end the interface and its address. FILE may be a topology (.topo) or a
    /// script (.rhai): a script is evaluated without Docker, and PE interfaces then show the
    /// VRF it puts them in, like `eth1 (CUSTA)`. Text formats go to stdout unless --out.
    ///
    /// Examples:
    ///   mplsrepl graph scripts/mpls_vpn.rhai                      writes mpls_vpn.svg
    ///   mplsrepl graph scripts/mpls_vpn.topo --out lab.svg
    ///   mplsrepl graph scripts/mpls_vpn.rhai --format ascii
    ///   mplsrepl graph scripts/mpls_vpn.rhai --format mermaid > lab.mmd
    ///   mplsrepl graph scripts/mpls_vpn.rhai --format dot | dot -Tpng > lab.png
    #[command(verbatim_doc_comment)]
    Graph {
        /// A topology (.topo) or a script (.rhai).
        #[arg(value_parser = lab_file)]
        file: PathBuf,
        /// Output format.
        #[arg(long, short, value_enum, default_value_t = GraphFormat::Svg)]
        format: GraphFormat,
        /// Output file, `-` for stdout.
        #[arg(long, short)]
        out: Option<PathBuf>,
    },
    /// Save each router's configuration as files, to start the same lab later with `run DIR`
    ///
    /// Writes DIR/ROUTER/frr.conf (the complete FRR configuration after the script, as
    /// `render` prints it), DIR/ROUTER/kernel.sh (sysctls, VRF devices and their interfaces,
    /// the pseudowires' veth pairs, bridges and redirects), DIR/lab.topo and DIR/README. With
    /// --live, the configuration is read from the running lab instead (`show running-config`,
    /// and the kernel's MPLS sysctls, VRFs and pseudowire wiring), which keeps what was changed
    /// by hand or in the REPL.
    ///
    /// Examples:
    ///   mplsrepl save saved/ scripts/mpls_vpn.rhai          the script's final configuration
    ///   mplsrepl save --live saved/ scripts/mpls_vpn.rhai   the running lab mpls_vpn, as it is
    ///   mplsrepl plan saved/                                what starting it would do
    ///   mplsrepl run saved/                                 start it
    #[command(verbatim_doc_comment)]
    Save {
        /// Directory to write (created if needed; files of the same names are replaced).
        dir: PathBuf,
        /// The script (.rhai) whose final intent to save; with --live, the script or topology
        /// (.topo) of the running lab.
        #[arg(value_parser = lab_file)]
        file: PathBuf,
        /// Read the configuration from the running lab instead of the script's intent.
        #[arg(long)]
        live: bool,
        #[command(flatten)]
        opts: ScriptArgs,
        /// With --live: the engine the lab runs on.
        #[command(flatten)]
        engine: EngineArg,
    },
    /// Print a containerlab topology (.clab.yml) of a lab
    ///
    /// Routers become `linux` nodes with the lab's image, `network-mode: none` (eth0 stays a
    /// lab interface), `labels: {role: ...}` and `exec: ip addr add ...` per address; links
    /// become `endpoints: ["PE1:eth0", "PR:eth0"]` with `labels: {segment: NAME}` to keep their
    /// names. A multi-access network becomes a `bridge`
    /// node, a Linux bridge that must exist on the host before deploying (the file says how).
    /// FRR configuration is not included: see `save`.
    ///
    /// Examples:
    ///   mplsrepl export-clab scripts/mpls_vpn.topo > mpls_vpn.clab.yml
    ///   mplsrepl export-clab scripts/mpls_vpn.topo --image quay.io/frrouting/frr:10.2.1
    #[command(verbatim_doc_comment)]
    ExportClab {
        /// A topology (.topo) or a script (.rhai) that loads one.
        #[arg(value_parser = lab_file)]
        file: PathBuf,
        #[command(flatten)]
        image: ImageArg,
        /// Lab name instead of the topology's (containerlab's `name:`).
        #[arg(long, value_parser = lab_name)]
        lab_name: Option<String>,
    },
    /// Print a topology (.topo) from a containerlab topology (.clab.yml): nodes and links
    ///
    /// Roles come from `labels: {role: pe}`, else from names (PE1: pe, CE2: ce, RR1: rr, P1:
    /// p), else p with a comment. Addresses come from `exec: ip addr add A/L dev IF` lines;
    /// links without any get placeholder subnets in 10.200.0.0/16, marked TODO. Links are named
    /// by `labels: {segment: NAME}` (as export-clab writes), else ROUTER-ROUTER; `bridge` nodes
    /// become networks. Exit code 1 (with the text still printed) when the result does not
    /// validate, the errors on stderr.
    ///
    /// Examples:
    ///   mplsrepl import-clab lab.clab.yml > lab.topo
    #[command(verbatim_doc_comment)]
    ImportClab {
        /// The containerlab topology file.
        file: PathBuf,
        /// The image that nodes of this image get no `image` line for in the topology.
        #[command(flatten)]
        image: ImageArg,
    },
    /// Print a completion script for a shell.
    ///
    /// Examples:
    ///   mplsrepl completions bash > /etc/bash_completion.d/mplsrepl
    ///   mplsrepl completions zsh > "${fpath[1]}/_mplsrepl"
    ///   mplsrepl completions fish > ~/.config/fish/completions/mplsrepl.fish
    #[command(verbatim_doc_comment)]
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum GraphFormat {
    /// A picture (our own layout; no Graphviz needed).
    Svg,
    /// Graphviz source, for `dot -Tpng`.
    Dot,
    /// A Mermaid flowchart, for Markdown.
    Mermaid,
    /// A text sketch: routers, then one line per link.
    Ascii,
}

/// What a script is evaluated with: the same for planning it and for running it.
#[derive(clap::Args, Clone)]
struct ScriptArgs {
    /// Timer profile: `article` (FRR defaults, as in the article) or `fast` (seconds to converge).
    #[arg(long, default_value = "article")]
    profile: String,
    /// Lab name instead of the topology's (to run two copies side by side).
    #[arg(long, value_parser = lab_name)]
    lab_name: Option<String>,
    #[command(flatten)]
    image: ImageArg,
    /// FRR line the routers run (8 or 10), for an image whose name does not say it. The
    /// images mplsrepl builds do (labfrr:8, labfrr:10 = labfrr:latest), as do tags like
    /// frrouting/frr:v8.4.1; otherwise FRR 10. Each router checks it as FRR starts.
    #[arg(long, value_name = "MAJOR", value_parser = clap::builder::PossibleValuesParser::new(["8", "10"]))]
    frr: Option<String>,
}

/// How the checks of a script run.
#[derive(clap::Args, Clone)]
struct CheckArgs {
    /// Seconds a check may retry before it fails.
    #[arg(long, default_value_t = 180, value_name = "SECONDS")]
    check_timeout: u64,
    /// Directory for pcap files of captures.
    #[arg(long, default_value = "captures", value_name = "DIR")]
    capture_dir: PathBuf,
    /// Where a failed check leaves the state of the routers it involves (running config,
    /// neighbors, routes, LFIB, LDP bindings, the kernel's FIB and LFIB), read before the lab
    /// is removed: one directory per failure, named at the end of the run. [default:
    /// CAPTURE_DIR/evidence]
    #[arg(long, value_name = "DIR")]
    evidence: Option<PathBuf>,
}

#[derive(Subcommand)]
enum VmAction {
    /// Build the VM disk and the FRR images labfrr:10 (= labfrr:latest, Debian trixie) and
    /// labfrr:8 (Debian bookworm) (cached; seconds when nothing changed).
    Build,
    /// Boot the VM (building it first if needed) and print the DOCKER_HOST to use.
    ///
    /// With --count N, N lab VMs from the same image, each with its own dockerd (port 23750,
    /// 23751, ...) and an address on a private underlay joining them (192.0.2.1, .2, ...),
    /// over which a lab spread on several engines runs its cross-engine links as VXLAN:
    ///   mplsrepl vm up --count 2
    ///   mplsrepl run scripts/mpls_vpn.rhai --engines tcp://127.0.0.1:23750,tcp://127.0.0.1:23751
    #[command(verbatim_doc_comment)]
    Up {
        /// How many lab VMs (1-8).
        #[arg(long, default_value_t = 1)]
        count: u32,
        /// Memory of each lab VM, like 6G or 6144M (default 4G, or MPLSREPL_VM_MEM). A
        /// router takes 15-72 MiB by its daemons: a lab of 50 routers fits 4G, one of 100 needs
        /// about 8G. Takes effect when the VM starts: `vm down` first to change a running one.
        #[arg(long, value_name = "SIZE", value_parser = memory_size)]
        memory: Option<String>,
        /// vCPUs of each lab VM (default 2, or MPLSREPL_VM_SMP); under emulation (no KVM) more
        /// vCPUs than the host's cores only slow it down.
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=64))]
        cpus: Option<u32>,
    },
    /// Power every lab VM off.
    Down,
    /// Is each VM running, and what does its dockerd say.
    Status,
    /// Run a shell command as root inside the VM.
    Sh {
        /// A shell command line, e.g. 'docker ps'.
        command: String,
        /// Which lab VM of a group (1 is the first).
        #[arg(long, default_value_t = 1)]
        vm: u32,
    },
}

/// `mplsrepl status | head -3`: once the reader has gone, the next `println!` panics with
/// `failed printing to stdout: Broken pipe`. The command ends there quietly instead, with the
/// exit status a shell gives a process killed by SIGPIPE (128 + 13). SIGPIPE itself stays
/// ignored, so a closed Docker connection is still an error that the code handles.
fn quiet_on_closed_stdout() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or_default();
        // println! says `failed printing to stdout: Broken pipe`, other writers their own
        // words around the same error.
        if message.contains("Broken pipe") || message.contains("BrokenPipe") {
            std::process::exit(141);
        }
        default(info);
    }));
}

fn main() -> ExitCode {
    quiet_on_closed_stdout();
    let cli = Cli::parse();
    // Diagnostics for developers and benchmarks, e.g. MPLSREPL_LOG=mplsrepl=debug times
    // every Docker exec; silent unless asked for.
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_env("MPLSREPL_LOG"))
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
    let color = match cli.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => std::io::IsTerminal::is_terminal(&std::io::stdout()),
    };
    // The engine the failure hint names, when the command has one.
    let mut engine_used: Option<String> = None;
    let mut engine_of = |lab: Option<&LabArgs>, engine: Option<&EngineArg>, image: &str| {
        let chosen = lab.map(|l| &l.engine).or(engine);
        let docker_host = chosen.and_then(|e| e.docker_host.clone());
        let engines = chosen.and_then(|e| e.engines.clone());
        engine_used = docker_host.clone().or_else(|| engines.clone());
        mplsrepl::connect::EngineChoice {
            docker_host,
            engines,
            place: lab.and_then(|l| l.place.clone()),
            image: image.to_string(),
            wiring: match lab.map(|l| l.links) {
                Some(LinksChoice::DockerNetworks) => mplsrepl::runtime::Wiring::DockerNetworks,
                _ => mplsrepl::runtime::Wiring::Veth,
            },
        }
    };
    let result = match cli.command {
        None => {
            let engine = engine_of(Some(&cli.repl.lab), None, &cli.repl.image.image);
            cli::repl(&engine, color, cli.repl.plan, cli.repl.history.clone())
        }
        Some(Command::Run {
            script,
            opts,
            checks,
            lab,
            down,
            verbose,
            step,
            report,
            repeat,
        }) => {
            let engine = engine_of(Some(&lab), None, &opts.image.image);
            let options = mplsrepl::script::Options {
                step_mode: step,
                reports: report,
                ..to_options(&engine, &opts, Some(&checks))
            };
            if script.is_dir() && !options.reports.is_empty() {
                eprintln!("error: a saved lab runs no checks: --report is for scripts");
                return ExitCode::from(2);
            }
            if script.is_dir() && repeat > 1 {
                eprintln!("error: a saved lab runs no checks: --repeat is for scripts");
                return ExitCode::from(2);
            }
            if script.is_dir() {
                cli_export::run_saved(&engine, &script, &options, color, verbose, down)
            } else {
                cli::run(
                    &engine,
                    &script,
                    &options,
                    color,
                    verbose || step,
                    down,
                    repeat,
                )
            }
        }
        Some(Command::Plan {
            file,
            opts,
            engines,
            place,
        }) => {
            let options = mplsrepl::script::Options {
                engines: mplsrepl::connect::engines_to_check(engines.as_deref(), place.as_deref()),
                ..to_options(&engine_of(None, None, &opts.image.image), &opts, None)
            };
            let spread = engines.map(|engines| cli::Spread { engines, place });
            if file.is_dir() {
                cli_export::plan_saved(&file, &options, color)
            } else {
                cli::plan(&file, &options, color, spread.as_ref())
            }
        }
        Some(Command::Render {
            script,
            router,
            opts,
        }) => {
            let options = to_options(&engine_of(None, None, &opts.image.image), &opts, None);
            cli::render(&script, router.as_deref(), &options)
        }
        Some(Command::Up {
            topology,
            opts,
            lab,
        }) => {
            let engine = engine_of(Some(&lab), None, &opts.image.image);
            cli::up(&engine, &topology, &to_options(&engine, &opts, None), color)
        }
        Some(Command::Tutorial { name: None, .. }) => {
            print!("{}", mplsrepl::cli_tutorial::listing());
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Tutorial {
            name: Some(name),
            save: Some(dir),
            ..
        }) => mplsrepl::cli_tutorial::save(&name, &dir),
        Some(Command::Tutorial {
            name: Some(name),
            yes,
            save: None,
            seed,
            reveal,
            down,
            report,
            opts,
            checks,
            lab,
        }) => {
            let engine = engine_of(Some(&lab), None, &opts.image.image);
            let options = mplsrepl::script::Options {
                interactive: !yes && std::io::IsTerminal::is_terminal(&std::io::stdin()),
                seed: Some(seed.unwrap_or_else(random_seed)),
                reveal,
                reports: report,
                ..to_options(&engine, &opts, Some(&checks))
            };
            mplsrepl::cli_tutorial::run(&engine, &name, &options, color, down)
        }
        Some(Command::Down { lab, engine }) => {
            let engine = engine_of(None, Some(&engine), mplsrepl::vm::IMAGE);
            cli::down(&engine, &lab_name_of(&lab))
        }
        Some(Command::Status { engine }) => {
            cli::status(&engine_of(None, Some(&engine), mplsrepl::vm::IMAGE))
        }
        Some(Command::Doctor { engine, image }) => {
            cli::doctor(&engine_of(None, Some(&engine), &image.image), color)
        }
        Some(Command::Vm { action }) => vm(action),
        Some(Command::Graph { file, format, out }) => {
            let format = match format {
                GraphFormat::Svg => mplsrepl::graph::Format::Svg,
                GraphFormat::Dot => mplsrepl::graph::Format::Dot,
                GraphFormat::Mermaid => mplsrepl::graph::Format::Mermaid,
                GraphFormat::Ascii => mplsrepl::graph::Format::Ascii,
            };
            cli_export::graph(&file, format, out.as_deref(), &Default::default())
        }
        Some(Command::Save {
            dir,
            file,
            live,
            opts,
            engine,
        }) => {
            let engine = engine_of(None, Some(&engine), &opts.image.image);
            cli_export::save(
                &engine,
                &dir,
                &file,
                &to_options(&engine, &opts, None),
                live,
            )
        }
        Some(Command::ExportClab {
            file,
            image,
            lab_name,
        }) => {
            let options = mplsrepl::script::Options {
                default_image: image.image,
                lab_name,
                ..Default::default()
            };
            cli_export::export_clab(&file, &options)
        }
        Some(Command::ImportClab { file, image }) => cli_export::import_clab(&file, &image.image),
        Some(Command::Completions { shell }) => {
            let mut command = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut command, "mplsrepl", &mut std::io::stdout());
            Ok(ExitCode::SUCCESS)
        }
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!(
                "{}",
                mplsrepl::diagnostic::printable(&format!("error: {e:#}"))
            );
            if e.downcast_ref::<mplsrepl::runtime::engine_lost::Unreachable>()
                .is_some()
            {
                eprintln!(
                    "help: `mplsrepl vm up` starts the lab VM's engine; `mplsrepl doctor` checks one"
                );
            } else if mplsrepl::runtime::is_engine_lost(&e) {
                let host = engine_used
                    .as_deref()
                    .unwrap_or("the local socket or the lab VM");
                eprintln!("{}", mplsrepl::runtime::engine_lost_hint(host, None));
            }
            ExitCode::from(1)
        }
    }
}

fn to_options(
    engine: &mplsrepl::connect::EngineChoice,
    args: &ScriptArgs,
    checks: Option<&CheckArgs>,
) -> mplsrepl::script::Options {
    let defaults = mplsrepl::script::Options::default();
    mplsrepl::script::Options {
        default_image: engine.image.clone(),
        wiring: engine.wiring,
        profile: mplsrepl::script::Profile::parse(&args.profile).unwrap_or_else(|| {
            eprintln!(
                "error: unknown profile `{}`: expected article or fast",
                args.profile
            );
            std::process::exit(2)
        }),
        check_timeout: checks.map_or(defaults.check_timeout, |c| {
            std::time::Duration::from_secs(c.check_timeout)
        }),
        capture_dir: checks.map_or(defaults.capture_dir.clone(), |c| c.capture_dir.clone()),
        evidence: checks.and_then(|c| c.evidence.clone()),
        engines: mplsrepl::connect::engines_to_check(
            engine.engines.as_deref(),
            engine.place.as_deref(),
        ),
        lab_name: args.lab_name.clone(),
        frr: args
            .frr
            .as_deref()
            .and_then(mplsrepl::frr::FrrVersion::parse),
        ..defaults
    }
}

/// A report's format comes from its file name.
fn report_file(arg: &str) -> Result<PathBuf, String> {
    let path = PathBuf::from(arg);
    match path.extension().and_then(|e| e.to_str()) {
        Some("xml" | "json") => Ok(path),
        _ => Err(format!(
            "`{arg}`: a report is FILE.xml (JUnit) or FILE.json"
        )),
    }
}

/// `--lab-name`: the rule of a topology's `lab` line, checked as the command line is read (a
/// usage error, exit 2, with no file to point into).
fn lab_name(arg: &str) -> Result<String, String> {
    match mplsrepl::topology::names::lab_name_problem(arg) {
        Some((problem, help)) => Err(format!("`{arg}`: {problem} ({help})")),
        None => Ok(arg.to_string()),
    }
}

/// A file argument: `builtin:NAME` is a lab of the catalogue shipped in the binary
/// (`mplsrepl tutorial` lists them), anything else a path.
fn lab_file(arg: &str) -> Result<PathBuf, String> {
    mplsrepl::catalogue::resolve(Path::new(arg))
}

/// A seed nobody chose: the clock's nanoseconds, small enough to read out to a class.
fn random_seed() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    u64::from(nanos % 10_000)
}

/// `--memory SIZE`, checked as the lab VM takes it.
fn memory_size(text: &str) -> Result<String, String> {
    mplsrepl::vm::parse_memory(text).map(|_| text.to_string())
}

/// `down` takes a lab name, or a file whose topology names the lab.
fn lab_name_of(arg: &str) -> String {
    let Ok(path) = mplsrepl::catalogue::resolve(Path::new(arg)) else {
        return arg.to_string();
    };
    if path.is_file() || mplsrepl::catalogue::is_builtin(&path) {
        if let Ok(name) = cli::lab_name_from_file(&path) {
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
        VmAction::Up {
            count,
            memory,
            cpus,
        } => {
            let mut cfg = cfg;
            if let Some(size) = memory {
                cfg.set_memory(&size).map_err(anyhow::Error::msg)?;
            }
            if let Some(n) = cpus {
                cfg.smp = n;
            }
            let hosts = vm::up_group(&cfg, count, &progress)?;
            println!("export DOCKER_HOST={}", hosts[0]);
            if hosts.len() > 1 {
                println!("# engines: --engines {}", hosts.join(","));
            }
        }
        VmAction::Down => vm::down(&cfg, &progress)?,
        VmAction::Status => {
            for (n, one) in vm::instances(&cfg).iter().enumerate() {
                let st = vm::status(one)?;
                if n > 0 && !st.running() {
                    continue;
                }
                if n > 0 {
                    println!();
                }
                println!("{st}");
            }
        }
        VmAction::Sh { command, vm: which } => {
            if which == 0 || which > vm::MAX_VMS {
                anyhow::bail!(
                    "--vm {which}: the lab VMs are numbered 1 to {}",
                    vm::MAX_VMS
                );
            }
            let one = cfg.instance(which - 1);
            print!(
                "{}",
                vm::shell(&one, &command, std::time::Duration::from_secs(120))?
            )
        }
    }
    Ok(ExitCode::SUCCESS)
}
