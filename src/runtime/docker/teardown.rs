//! Removing a lab: every container and network that carries its label, routers stopped
//! together first.

use std::collections::HashMap;
use std::time::Duration;

use bollard::models::ContainerSummaryStateEnum;
use bollard::query_parameters::{
    ListContainersOptionsBuilder, ListNetworksOptionsBuilder, RemoveContainerOptionsBuilder,
};
use bollard::Docker;

use super::calls::bounded;
use super::labels::{has_label, name_of, LABEL_LAB, LABEL_ROUTER, LABEL_VNIS};
use super::links::{self, LABEL_LINKS};
use super::shell::ShellPool;
use crate::runtime::backend::DestroyReport;

/// Remove every container and network of `lab`.
pub(super) async fn destroy_lab(
    docker: &Docker,
    shells: &ShellPool,
    lab: &str,
) -> anyhow::Result<DestroyReport> {
    let label = format!("{LABEL_LAB}={lab}");
    let filters: HashMap<&str, Vec<&str>> = [("label", vec![label.as_str()])].into();
    let opts = ListContainersOptionsBuilder::new()
        .all(true)
        .filters(&filters)
        .build();
    let containers = docker.list_containers(Some(opts)).await?;
    let names: Vec<String> = containers.iter().filter_map(name_of).collect();
    // Only a router's processes may be killed wholesale: the links container sees every
    // process of the engine's host.
    let routers: Vec<String> = containers
        .iter()
        .filter(|c| has_label(c, LABEL_ROUTER))
        .filter_map(name_of)
        .collect();
    if containers.iter().any(|c| has_label(c, LABEL_VNIS)) {
        links::remove_vxlan_ends(shells, &names).await;
    }
    let links_container = containers
        .iter()
        .filter(|c| has_label(c, LABEL_LINKS))
        .find(|c| c.state == Some(ContainerSummaryStateEnum::RUNNING))
        .and_then(name_of);
    let stopped = match links_container {
        Some(links) => stop_routers_at_once(docker, shells, &links, &routers).await,
        None => false,
    };
    if !stopped {
        shells.forget(&routers, Duration::from_secs(3)).await;
    }
    shells.drop_idle(&names);
    let retried: Vec<String> = bounded(names.iter().map(|n| remove_container(docker, n)))
        .await
        .into_iter()
        .collect::<anyhow::Result<Vec<Option<String>>>>()?
        .into_iter()
        .flatten()
        .collect();
    let nopts = ListNetworksOptionsBuilder::new().filters(&filters).build();
    let networks = docker.list_networks(Some(nopts)).await?;
    let net_names: Vec<String> = networks.into_iter().filter_map(|n| n.name).collect();
    // Like containers, a dozen at a time: one after the other, a 56-router ring's networks
    // took a minute to go on the lab VM.
    bounded(net_names.iter().map(|n| async move {
        match docker.remove_network(n).await {
            Ok(())
            | Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            }) => Ok(()),
            Err(e) => Err(anyhow::Error::new(e).context(format!("removing network {n}"))),
        }
    }))
    .await
    .into_iter()
    .collect::<anyhow::Result<Vec<()>>>()?;
    Ok(DestroyReport {
        containers: names,
        networks: net_names,
        retried,
    })
}

/// Kill every router of the lab in one instant, from the links container (which sees the
/// host's processes): SIGKILL to a container's first process ends its whole PID namespace.
/// Removed one after the other instead, the routers still running see their neighbours go one
/// by one and reconverge each time: a 106-router ring's `down` had removed nothing after 13
/// minutes, the lab VM's load at 650. Whether no router runs any more: false sends the caller
/// back to the kept shells.
async fn stop_routers_at_once(
    docker: &Docker,
    shells: &ShellPool,
    links: &str,
    routers: &[String],
) -> bool {
    let inspected = bounded(routers.iter().map(|r| docker.inspect_container(r, None))).await;
    let mut pids = Vec::new();
    for info in inspected {
        match info.map(|i| i.state.and_then(|s| s.pid)) {
            Ok(Some(pid)) if pid > 0 => pids.push(pid),
            Ok(_) => {} // not running
            Err(e) => {
                tracing::debug!("stopping the routers: inspect failed: {e}");
                return false;
            }
        }
    }
    if pids.is_empty() {
        return true;
    }
    let clock = std::time::Instant::now();
    match shells.run_script(links, kill_script(&pids)).await {
        Ok((0, _, _)) => {
            tracing::debug!(
                "{} routers stopped at once from {links} in {} ms",
                pids.len(),
                clock.elapsed().as_millis()
            );
            true
        }
        Ok((code, _, err)) => {
            tracing::warn!(
                "stopping the routers from {links}: exit {code}: {}",
                String::from_utf8_lossy(&err)
            );
            false
        }
        Err(e) => {
            tracing::warn!("stopping the routers from {links}: {e:#}");
            false
        }
    }
}

/// The links container's script that kills the routers whose first process ids are `pids`.
/// A process id is checked to still run what mplsrepl starts its routers with (`docker-init
/// -- tail -f /dev/null`) before it is killed: it was read from the engine a moment before.
fn kill_script(pids: &[i64]) -> String {
    let files: Vec<String> = pids.iter().map(|p| format!("/proc/{p}/cmdline")).collect();
    format!(
        "set -- $(grep -l -s -a -F /dev/null {} | cut -d/ -f3)\n\
         [ $# -eq 0 ] || kill -9 \"$@\"\n",
        files.join(" ")
    )
}

/// How many times a container's removal is tried when the engine says it may work next time.
const REMOVAL_TRIES: u32 = 4;

/// Remove container `name` (gone already is fine). A removal the engine may complete when
/// asked again ([`transient_removal_error`]) is retried, and said so: the returned note.
async fn remove_container(docker: &Docker, name: &str) -> anyhow::Result<Option<String>> {
    let rm = || {
        RemoveContainerOptionsBuilder::new()
            .force(true)
            .v(true)
            .build()
    };
    let mut first_error = None;
    for attempt in 1..=REMOVAL_TRIES {
        match docker.remove_container(name, Some(rm())).await {
            Ok(())
            | Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            }) => {
                return Ok(first_error.map(|e| {
                    format!(
                    "container {name}: removed at try {attempt}, after the engine answered: {e}"
                )
                }))
            }
            Err(e) if attempt < REMOVAL_TRIES && transient_removal_error(&e) => {
                tracing::debug!("removing {name}, try {attempt}: {e}");
                first_error.get_or_insert_with(|| e.to_string());
                tokio::time::sleep(Duration::from_millis(500 * u64::from(attempt))).await;
            }
            Err(e) => {
                return Err(anyhow::Error::new(e).context(format!(
                    "removing container {name} (try {attempt} of {REMOVAL_TRIES})"
                )))
            }
        }
    }
    unreachable!("the last try returns")
}

/// Whether a failed removal may work when asked again: a connection the engine reset (seen
/// on the lab VM with a 56-router lab), or the engine's own 500 when it could not yet delete
/// the container's files (`unable to remove filesystem ... directory not empty`, seen after
/// a 56-router run; a second removal succeeded), or a removal already under way.
fn transient_removal_error(e: &bollard::errors::Error) -> bool {
    match e {
        bollard::errors::Error::DockerResponseServerError {
            status_code,
            message,
        } => {
            let message = message.to_ascii_lowercase();
            (*status_code == 500
                && [
                    "unable to remove filesystem",
                    "directory not empty",
                    "device or resource busy",
                ]
                .iter()
                .any(|m| message.contains(m)))
                || (*status_code == 409 && message.contains("already in progress"))
        }
        _ => !is_server_answer(e),
    }
}

/// An error the engine answered with (as opposed to a connection that failed).
fn is_server_answer(e: &bollard::errors::Error) -> bool {
    matches!(e, bollard::errors::Error::DockerResponseServerError { .. })
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// Run here on processes of the test's own: the one that runs what a router's first
    /// process runs is killed, the other is left alone, and a process id that is gone is no
    /// error.
    #[test]
    fn the_kill_script_ends_only_what_runs_like_a_router() {
        let mut router = std::process::Command::new("tail")
            .args(["-f", "/dev/null"])
            .spawn()
            .unwrap();
        let mut other = std::process::Command::new("sleep")
            .arg("600")
            .spawn()
            .unwrap();
        let gone = {
            let mut p = std::process::Command::new("true").spawn().unwrap();
            p.wait().unwrap();
            i64::from(p.id())
        };
        let pids = [i64::from(router.id()), i64::from(other.id()), gone];
        let status = std::process::Command::new("sh")
            .args(["-c", &kill_script(&pids)])
            .status()
            .unwrap();
        assert!(status.success());
        let ended = router.wait().unwrap();
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(ended.signal(), Some(9));
        assert!(other.try_wait().unwrap().is_none(), "sleep was killed");
        other.kill().unwrap();
        other.wait().unwrap();
    }

    /// An engine that answers each container removal with the next of `answers` (status,
    /// body), then 204; the counter is how many removals it was asked for.
    async fn removing_engine(
        answers: Vec<(u16, &'static str)>,
    ) -> (Docker, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
        use std::sync::atomic::Ordering;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let asked = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = asked.clone();
        tokio::spawn(async move {
            while let Ok((mut conn, _)) = listener.accept().await {
                let mut request = Vec::new();
                let mut buf = [0u8; 1024];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match conn.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                if !request.starts_with(b"DELETE ") {
                    continue;
                }
                let n = counter.fetch_add(1, Ordering::SeqCst);
                let (status, body) = answers.get(n).copied().unwrap_or((204, ""));
                let reply = format!(
                    "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = conn.write_all(reply.as_bytes()).await;
                let _ = conn.shutdown().await;
            }
        });
        let docker =
            Docker::connect_with_http(&format!("http://{addr}"), 10, bollard::API_DEFAULT_VERSION)
                .unwrap();
        (docker, asked)
    }

    #[tokio::test]
    async fn a_removal_the_engine_could_not_finish_is_tried_again_and_said_so() {
        let busy = r#"{"message":"unable to remove filesystem for 4f2a: unlinkat /var/lib/docker/containers/4f2a: directory not empty"}"#;
        let (docker, asked) = removing_engine(vec![(500, busy), (500, busy)]).await;
        let note = remove_container(&docker, "lab-P7").await.unwrap();
        assert_eq!(asked.load(std::sync::atomic::Ordering::SeqCst), 3);
        let note = note.expect("the retry is reported");
        assert!(
            note.starts_with("container lab-P7: removed at try 3"),
            "{note}"
        );
        assert!(note.contains("directory not empty"), "{note}");
    }

    #[tokio::test]
    async fn a_removal_refused_for_good_is_not_retried() {
        let refused = r#"{"message":"You cannot remove a running container: stop it first"}"#;
        let (docker, asked) = removing_engine(vec![(409, refused)]).await;
        let e = remove_container(&docker, "lab-P7").await.unwrap_err();
        assert_eq!(asked.load(std::sync::atomic::Ordering::SeqCst), 1);
        assert!(
            format!("{e:#}").contains("removing container lab-P7 (try 1 of 4)"),
            "{e:#}"
        );
        assert!(format!("{e:#}").contains("stop it first"), "{e:#}");
    }

    #[tokio::test]
    async fn a_removal_that_stays_refused_gives_up_after_the_last_try() {
        let busy = r#"{"message":"unable to remove filesystem: device or resource busy"}"#;
        let (docker, asked) = removing_engine(vec![(500, busy); 4]).await;
        let e = remove_container(&docker, "lab-P7").await.unwrap_err();
        assert_eq!(asked.load(std::sync::atomic::Ordering::SeqCst), 4);
        assert!(format!("{e:#}").contains("(try 4 of 4)"), "{e:#}");
    }
}
