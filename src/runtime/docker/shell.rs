//! Long-lived shells inside the routers, for the many short commands a run sends (every check
//! poll, `show`, `ping`, `sh`).
//!
//! A Docker exec costs far more than the commands we run with it: on the lab VM's emulated CPU
//! `exec true` takes ~0.4 s, a whole `vtysh -c 'show ...'` ~0.3 s. So a router keeps a `sh`
//! attached through one exec, and each command is a line written to its stdin; its output ends
//! with a marker line carrying its exit code. A shell runs one command at a time: concurrent
//! commands to one router open more shells, which are kept for reuse.
//!
//! Each command first prints a start mark on both streams, and what came before it on a
//! stream (a late write of an earlier command's background job) is dropped. A shell whose
//! stream ends before anything at all came back never ran the command: it is replaced and the
//! command sent again, even one that changes the router (a configuration). Any other failure
//! is reported, never retried.

pub use crate::shell_word::shell_word;
use std::collections::HashMap;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use anyhow::{anyhow, bail, Context};
use bollard::container::LogOutput;
use bollard::exec::{CreateExecOptions, StartExecOptions, StartExecResults};
use bollard::Docker;
use futures_util::{Stream, StreamExt};
use tokio::io::{AsyncWrite, AsyncWriteExt};

use crate::runtime::engine_lost::again_after_reset;

/// A command that takes longer than this loses its shell (the next command gets a new one).
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(300);
const START: &str = "@@mplsrepl-start";
const END: &str = "@@mplsrepl-end";

type Output = Pin<Box<dyn Stream<Item = Result<LogOutput, bollard::errors::Error>> + Send>>;

struct Shell {
    input: Pin<Box<dyn AsyncWrite + Send>>,
    output: Output,
}

/// Shells by container, idle ones only (a shell in use is owned by its command).
pub struct ShellPool {
    docker: Docker,
    idle: Mutex<HashMap<String, Vec<Shell>>>,
    next_token: AtomicU64,
}

impl ShellPool {
    pub fn new(docker: Docker) -> Self {
        ShellPool {
            docker,
            idle: Mutex::new(HashMap::new()),
            next_token: AtomicU64::new(1),
        }
    }

    /// Run `argv` in the container; exit code, stdout, stderr, as a plain exec would give.
    /// A kept shell found dead before it answered anything (its container was restarted,
    /// say) is replaced once. Each command's time is logged (`MPLSREPL_LOG=mplsrepl=debug`).
    pub async fn run(
        &self,
        container: &str,
        argv: &[String],
    ) -> anyhow::Result<(i64, Vec<u8>, Vec<u8>)> {
        let started = std::time::Instant::now();
        let result = self.run_untimed(container, argv).await;
        tracing::debug!(
            "shell {container} {:.60}: {:?} in {} ms",
            argv.join(" ").replace('\n', " "),
            result.as_ref().map(|r| r.0),
            started.elapsed().as_millis()
        );
        result
    }

    /// A shell script, run as `sh -c SCRIPT`.
    pub async fn run_script(
        &self,
        container: &str,
        script: String,
    ) -> anyhow::Result<(i64, Vec<u8>, Vec<u8>)> {
        let argv = ["sh".to_string(), "-c".to_string(), script];
        self.run(container, &argv).await
    }

    async fn run_untimed(
        &self,
        container: &str,
        argv: &[String],
    ) -> anyhow::Result<(i64, Vec<u8>, Vec<u8>)> {
        let kept = self.take(container);
        let reused = kept.is_some();
        let ran = match kept {
            Some(shell) => self.run_in(container, shell, argv).await,
            None => self.open_and_run(container, argv).await,
        };
        let ran = match ran {
            Err(Failure::NotSent(_)) if reused => self.open_and_run(container, argv).await,
            other => other,
        };
        match ran {
            Ok(out) => Ok(out),
            Err(failure) => {
                let e = failure
                    .into_error()
                    .context(format!("{container}: `{}`", argv.join(" ")));
                Err(self.blame(e).await)
            }
        }
    }

    /// A shell failed: when the engine itself no longer answers, that is the error to report
    /// (the run names the engine and says how to clean up); otherwise the shell's own.
    async fn blame(&self, shell_error: anyhow::Error) -> anyhow::Error {
        match tokio::time::timeout(Duration::from_secs(5), self.docker.ping()).await {
            Ok(Ok(_)) => shell_error,
            Ok(Err(lost)) => anyhow::Error::new(lost).context(format!("{shell_error:#}")),
            Err(_) => anyhow::Error::new(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "the engine did not answer a ping within 5 s",
            ))
            .context(format!("{shell_error:#}")),
        }
    }

    async fn open_and_run(
        &self,
        container: &str,
        argv: &[String],
    ) -> Result<(i64, Vec<u8>, Vec<u8>), Failure> {
        // A shell that failed to open runs nothing: safe to open again.
        match again_after_reset(|| Shell::open(&self.docker, container)).await {
            Ok(shell) => self.run_in(container, shell, argv).await,
            Err(e) => Err(Failure::Broken(e)),
        }
    }

    async fn run_in(
        &self,
        container: &str,
        mut shell: Shell,
        argv: &[String],
    ) -> Result<(i64, Vec<u8>, Vec<u8>), Failure> {
        let token = self.next_token.fetch_add(1, Ordering::Relaxed);
        let ran = tokio::time::timeout(COMMAND_TIMEOUT, shell.run(token, argv)).await;
        match ran {
            Ok(Ok(out)) => {
                self.put(container, shell);
                Ok(out)
            }
            Ok(Err(failure)) => Err(failure),
            Err(_) => Err(Failure::Broken(anyhow!(
                "it did not finish within {} s",
                COMMAND_TIMEOUT.as_secs()
            ))),
        }
    }

    /// Forget the shells of containers that are going away. Through one of each container's
    /// shells, every process but the container's first is killed on the way, without waiting
    /// for an answer (at most `grace`): a large lab's routing daemons otherwise keep a slow
    /// engine too busy to stop the containers (56 routers on the lab VM took 11 minutes).
    pub async fn forget(&self, containers: &[String], grace: Duration) {
        let shells: Vec<Shell> = {
            let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
            containers
                .iter()
                .filter_map(|c| idle.remove(c))
                .filter_map(|mut kept| kept.pop())
                .collect()
        };
        let kill_all =
            futures_util::future::join_all(shells.into_iter().map(|mut shell| async move {
                // kill(-1) spares the caller and the namespace's init; the shell ends when
                // dropped. Only where the namespace's first process runs what mplsrepl starts
                // its routers with (`tail -f /dev/null`, under Docker's init): never in a
                // container that shares the host's processes.
                let kill =
                    b"case \"$(tr '\\000' ' ' </proc/1/cmdline)\" in *'tail -f /dev/null'*) kill -9 -1;; esac\n";
                let _ = shell.input.write_all(kill).await;
                let _ = shell.input.flush().await;
            }));
        let _ = tokio::time::timeout(grace, kill_all).await;
    }

    /// Forget the shells of containers that are going away, sending nothing.
    pub fn drop_idle(&self, containers: &[String]) {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        for c in containers {
            idle.remove(c);
        }
    }

    fn take(&self, container: &str) -> Option<Shell> {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        idle.get_mut(container).and_then(Vec::pop)
    }

    fn put(&self, container: &str, shell: Shell) {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        idle.entry(container.to_string()).or_default().push(shell);
    }
}

/// Why a command did not give a result.
enum Failure {
    /// The shell was gone before it answered anything: the command did not run.
    NotSent(anyhow::Error),
    /// The command may have run; its outcome is unknown.
    Broken(anyhow::Error),
}

impl Failure {
    fn into_error(self) -> anyhow::Error {
        match self {
            Failure::NotSent(e) | Failure::Broken(e) => e,
        }
    }
}

impl Shell {
    async fn open(docker: &Docker, container: &str) -> anyhow::Result<Shell> {
        let created = docker
            .create_exec(
                container,
                CreateExecOptions {
                    attach_stdin: Some(true),
                    attach_stdout: Some(true),
                    attach_stderr: Some(true),
                    cmd: Some(vec!["sh".to_string()]),
                    ..Default::default()
                },
            )
            .await
            .with_context(|| format!("exec in {container}"))?;
        match docker
            .start_exec(&created.id, None::<StartExecOptions>)
            .await?
        {
            StartExecResults::Attached { output, input } => Ok(Shell { input, output }),
            StartExecResults::Detached => bail!("exec in {container} did not attach"),
        }
    }

    async fn run(
        &mut self,
        token: u64,
        argv: &[String],
    ) -> Result<(i64, Vec<u8>, Vec<u8>), Failure> {
        let line = command_line(token, argv);
        if let Err(e) = self.input.write_all(line.as_bytes()).await {
            return Err(Failure::NotSent(e.into()));
        }
        if let Err(e) = self.input.flush().await {
            return Err(Failure::NotSent(e.into()));
        }
        let mut reply = Reply::new(token);
        loop {
            if let Some(done) = reply.complete() {
                return Ok(done);
            }
            let chunk = match self.output.next().await {
                Some(Ok(chunk)) => chunk,
                // A connection that failed may have carried the command before it failed.
                Some(Err(e)) => return Err(Failure::Broken(e.into())),
                None if !reply.heard => {
                    return Err(Failure::NotSent(anyhow!("the shell has ended")))
                }
                None => return Err(Failure::Broken(anyhow!("the shell ended mid-command"))),
            };
            match chunk {
                LogOutput::StdOut { message } => reply.stdout(&message),
                LogOutput::StdErr { message } => reply.stderr(&message),
                _ => {}
            }
        }
    }
}

/// One command's output as it arrives, until both end marks are in.
struct Reply {
    token: u64,
    start: String,
    /// Anything came back since the command was written.
    heard: bool,
    stdout: Marked,
    stderr: Marked,
}

/// One stream of a command's output, kept from the stream's start mark on.
#[derive(Default)]
struct Marked {
    started: bool,
    bytes: Vec<u8>,
}

impl Marked {
    fn feed(&mut self, bytes: &[u8], start: &str) {
        self.bytes.extend_from_slice(bytes);
        if !self.started {
            if let Some(at) = find(&self.bytes, start.as_bytes()) {
                self.bytes.drain(..at + start.len());
                self.started = true;
            }
        }
    }
}

impl Reply {
    fn new(token: u64) -> Self {
        Reply {
            token,
            start: format!("{START} {token}\n"),
            heard: false,
            stdout: Marked::default(),
            stderr: Marked::default(),
        }
    }

    fn stdout(&mut self, bytes: &[u8]) {
        self.heard = true;
        self.stdout.feed(bytes, &self.start);
    }

    fn stderr(&mut self, bytes: &[u8]) {
        self.heard = true;
        self.stderr.feed(bytes, &self.start);
    }

    /// Exit code, stdout and stderr, once the command has ended.
    fn complete(&mut self) -> Option<(i64, Vec<u8>, Vec<u8>)> {
        if !(self.stdout.started && self.stderr.started) {
            return None;
        }
        let (code, out_end) = end_of_stdout(&self.stdout.bytes, self.token)?;
        let err_end = end_of_stderr(&self.stderr.bytes, self.token)?;
        self.stdout.bytes.truncate(out_end);
        self.stderr.bytes.truncate(err_end);
        Some((
            code,
            std::mem::take(&mut self.stdout.bytes),
            std::mem::take(&mut self.stderr.bytes),
        ))
    }
}

/// One command for the shell: the start marks on both streams, the command in a subshell
/// (nothing it sets leaks into the next) with stdin closed (it must not eat the commands
/// after it), then the end marks on both streams, the stdout one with the exit code. The
/// leading newline of an end mark is ours, not the command's.
pub fn command_line(token: u64, argv: &[String]) -> String {
    let quoted: Vec<String> = argv.iter().map(|a| shell_word(a)).collect();
    format!(
        "printf '{START} {token}\\n'; printf '{START} {token}\\n' >&2; ( {} ) </dev/null; printf '\\n{END} {token} %d\\n' $?; printf '\\n{END} {token}\\n' >&2\n",
        quoted.join(" ")
    )
}

/// Where the command's stdout ends and its exit code, once the whole mark has arrived.
fn end_of_stdout(buf: &[u8], token: u64) -> Option<(i64, usize)> {
    let mark = format!("\n{END} {token} ");
    let at = find(buf, mark.as_bytes())?;
    let rest = &buf[at + mark.len()..];
    let eol = rest.iter().position(|&b| b == b'\n')?;
    let code = std::str::from_utf8(&rest[..eol])
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some((code, at))
}

fn end_of_stderr(buf: &[u8], token: u64) -> Option<usize> {
    find(buf, format!("\n{END} {token}\n").as_bytes())
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Run command lines through a real `sh`, as a kept shell would, with `noise` written to
    /// stdout before them (a late background job of an earlier command).
    fn through_sh(noise: &str, lines: &[String]) -> (Vec<u8>, Vec<u8>) {
        let script = format!("printf '{noise}'; printf 'late' >&2\n{}", lines.concat());
        let out = std::process::Command::new("sh")
            .args(["-c", &script])
            .output()
            .unwrap();
        (out.stdout, out.stderr)
    }

    fn argv(words: &[&str]) -> Vec<String> {
        words.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_command_line_gives_back_output_and_exit_code_through_a_real_shell() {
        let cmd = argv(&["sh", "-c", "printf 'no newline'; echo \"it's\" >&2; exit 3"]);
        let (out, err) = through_sh(
            "left over\n",
            &[command_line(7, &cmd), command_line(8, &argv(&["true"]))],
        );
        // The two streams reach us in either order, in pieces: each is cut at its own mark.
        for stderr_first in [true, false] {
            let mut reply = Reply::new(7);
            if stderr_first {
                reply.stderr(&err);
            }
            reply.stdout(&out[..5]);
            assert!(reply.complete().is_none(), "no stdout start mark yet");
            reply.stdout(&out[5..]);
            if !stderr_first {
                assert!(reply.complete().is_none(), "stderr's marks are missing");
                reply.stderr(&err[..3]);
                reply.stderr(&err[3..]);
            }
            let (code, stdout, stderr) = reply.complete().unwrap();
            assert_eq!(code, 3);
            assert_eq!(
                stdout, b"no newline",
                "what came before the mark is dropped"
            );
            assert_eq!(stderr, b"it's\n", "what came before the mark is dropped");
        }
    }

    #[test]
    fn end_marks_without_start_marks_do_not_complete_a_command() {
        let mut reply = Reply::new(5);
        reply.stdout(b"\n@@mplsrepl-end 5 0\n");
        reply.stderr(b"\n@@mplsrepl-end 5\n");
        assert!(reply.heard);
        assert!(reply.complete().is_none());
    }

    #[test]
    fn a_partial_mark_is_not_the_end() {
        assert_eq!(end_of_stdout(b"out\n@@mplsrepl-end 5 0", 5), None);
        assert_eq!(end_of_stdout(b"out\n@@mplsrepl-end 5 0\n", 5), Some((0, 3)));
        assert_eq!(end_of_stdout(b"out\n@@mplsrepl-end 15 0\n", 5), None);
        assert_eq!(end_of_stderr(b"\n@@mplsrepl-end 5\n", 5), Some(0));
    }
}
