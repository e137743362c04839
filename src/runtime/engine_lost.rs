//! The Docker engine stopped answering in the middle of a run (stopped, restarted, unreachable).
//!
//! bollard reports that as a transport error among many others; the user needs to hear that the
//! engine went away, which one, and how to clean up once it is back. [`EngineWatch`] remembers
//! such a failure when it crosses the backend, because by the time a script error reaches the
//! command it is only text.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::runtime::layer::{Call, Layer, Layered};
use crate::runtime::Backend;

/// Context of a failure to connect: the engine never answered, so it did not stop mid-run.
#[derive(Debug)]
pub struct Unreachable(pub String);

impl std::fmt::Display for Unreachable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why a connection to an engine failed, in a few words: the transport's own chain repeats
/// itself (`client error (Connect): client error (Connect): tcp connect error: ...`), and what
/// the user needs is its last link.
pub fn why_unreachable(e: &anyhow::Error) -> String {
    if let Some(io) = e.chain().find_map(|c| c.downcast_ref::<std::io::Error>()) {
        use std::io::ErrorKind as K;
        let words = match io.kind() {
            K::ConnectionRefused => "connection refused (nothing listens there)",
            K::NotFound => "no such socket",
            K::PermissionDenied => "permission denied (is the user in the docker group?)",
            K::TimedOut => "the connection timed out",
            K::ConnectionReset | K::ConnectionAborted | K::UnexpectedEof => {
                "the connection was closed before the engine answered"
            }
            _ => return io.to_string(),
        };
        return words.to_string();
    }
    e.chain()
        .last()
        .map(|c| c.to_string())
        .unwrap_or_else(|| e.to_string())
}

/// A failure of the connection to the engine rather than an answer from it, after the engine
/// had answered (a failure to connect is marked [`Unreachable`]).
pub fn is_engine_lost(e: &anyhow::Error) -> bool {
    if e.downcast_ref::<Unreachable>().is_some() {
        return false;
    }
    e.chain().any(|cause| {
        if let Some(b) = cause.downcast_ref::<bollard::errors::Error>() {
            return is_transport(b);
        }
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| is_broken_connection(io.kind()))
    })
}

/// Run `attempt`, and once more a second later if the connection (not the engine) failed:
/// the lab VM's engine, behind qemu's user networking, resets a connection now and then
/// under load. Only for calls that are safe to repeat (creating an exec that has not run).
pub async fn again_after_reset<T, F, Fut>(attempt: F) -> anyhow::Result<T>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<T>>,
{
    match attempt().await {
        Err(e) if is_engine_lost(&e) => {
            tracing::debug!("connection failed, once more: {e:#}");
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            attempt().await
        }
        other => other,
    }
}

fn is_transport(e: &bollard::errors::Error) -> bool {
    use bollard::errors::Error as E;
    matches!(
        e,
        E::IOError { .. }
            | E::HyperResponseError { .. }
            | E::HyperLegacyError { .. }
            | E::RequestTimeoutError
            | E::SocketNotFoundError(_)
    )
}

fn is_broken_connection(kind: std::io::ErrorKind) -> bool {
    use std::io::ErrorKind as K;
    matches!(
        kind,
        K::ConnectionRefused
            | K::ConnectionReset
            | K::ConnectionAborted
            | K::NotConnected
            | K::BrokenPipe
            | K::UnexpectedEof
            | K::TimedOut
    )
}

/// What happened, naming the engine.
pub fn engine_lost_line(host: &str) -> String {
    format!("the Docker engine at {host} (DOCKER_HOST) stopped answering mid-run (restarted?)")
}

/// What happened and how to clean up; `lab` is the lab to remove, if known.
pub fn engine_lost_hint(host: &str, lab: Option<&str>) -> String {
    format!(
        "{}; once it is back, `mplsrepl down {}` removes what is left",
        engine_lost_line(host),
        lab.unwrap_or("LAB")
    )
}

/// Set when a call through [`EngineWatch`] failed because the engine stopped answering.
#[derive(Clone, Default)]
pub struct EngineLost(Arc<AtomicBool>);

impl EngineLost {
    pub fn happened(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }

    pub fn watch(&self, inner: Box<dyn Backend>) -> EngineWatch {
        Layered(Watch {
            inner,
            lost: self.clone(),
        })
    }

    fn note<T>(&self, r: anyhow::Result<T>) -> anyhow::Result<T> {
        if r.as_ref().is_err_and(is_engine_lost) {
            self.0.store(true, Ordering::SeqCst);
        }
        r
    }
}

/// A backend whose connection failures are remembered in an [`EngineLost`].
pub type EngineWatch = Layered<Watch>;

pub struct Watch {
    inner: Box<dyn Backend>,
    lost: EngineLost,
}

impl Layer for Watch {
    fn describe(&self) -> String {
        self.inner.describe()
    }

    fn is_dry_run(&self) -> bool {
        self.inner.is_dry_run()
    }

    fn enter(&mut self, _: Call<'_>) -> anyhow::Result<&mut dyn Backend> {
        Ok(self.inner.as_mut())
    }

    fn leave<T>(&mut self, _: Call<'_>, result: anyhow::Result<T>) -> anyhow::Result<T> {
        self.lost.note(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;

    #[test]
    fn a_reset_connection_is_tried_once_more_and_an_engine_answer_is_not() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let calls = std::cell::Cell::new(0);
        let reset_then_ok = rt.block_on(again_after_reset(|| async {
            calls.set(calls.get() + 1);
            if calls.get() == 1 {
                let io = std::io::Error::from(std::io::ErrorKind::ConnectionReset);
                return Err(anyhow::Error::new(bollard::errors::Error::from(io)));
            }
            anyhow::Ok("started")
        }));
        assert_eq!(reset_then_ok.unwrap(), "started");
        assert_eq!(calls.get(), 2);
        calls.set(0);
        let refused: anyhow::Result<()> = rt.block_on(again_after_reset(|| async {
            calls.set(calls.get() + 1);
            Err(anyhow::Error::new(
                bollard::errors::Error::DockerResponseServerError {
                    status_code: 409,
                    message: "container is not running".into(),
                },
            ))
        }));
        assert!(refused.is_err());
        assert_eq!(calls.get(), 1, "an answer of the engine is not retried");
    }

    #[test]
    fn a_refused_connection_deep_in_the_chain_is_an_engine_lost() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        let e = anyhow::Error::new(bollard::errors::Error::from(io)).context("exec in lab-A");
        assert!(is_engine_lost(&e));
        let reset: anyhow::Result<()> =
            Err(std::io::Error::from(std::io::ErrorKind::ConnectionReset).into());
        assert!(is_engine_lost(&reset.context("reading").unwrap_err()));
    }

    #[test]
    fn why_an_engine_is_unreachable_is_its_last_words() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "os error 111");
        let e = anyhow::Error::new(io).context("client error (Connect)");
        assert_eq!(
            why_unreachable(&e),
            "connection refused (nothing listens there)"
        );
        let timeout = anyhow::anyhow!("no answer from tcp://h:1 within 10 s");
        assert_eq!(
            why_unreachable(&timeout.context("outer")),
            "no answer from tcp://h:1 within 10 s"
        );
    }

    #[test]
    fn a_failure_to_connect_is_not() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        let e = anyhow::Error::new(bollard::errors::Error::from(io))
            .context(Unreachable("cannot reach the Docker engine".into()))
            .context("running the script");
        assert!(!is_engine_lost(&e));
    }

    #[test]
    fn an_answer_from_the_engine_is_not() {
        let e = anyhow::Error::new(bollard::errors::Error::DockerResponseServerError {
            status_code: 409,
            message: "container is not running".into(),
        });
        assert!(!is_engine_lost(&e));
        assert!(!is_engine_lost(&anyhow::anyhow!("check failed on A")));
    }

    #[test]
    fn the_hint_names_the_host_and_how_to_clean_up() {
        let hint = engine_lost_hint("tcp://127.0.0.1:23750", Some("tiny"));
        assert!(
            hint.contains("tcp://127.0.0.1:23750 (DOCKER_HOST)"),
            "{hint}"
        );
        assert!(hint.contains("`mplsrepl down tiny`"), "{hint}");
    }
}
