//! Docker calls in batches: at most a dozen in flight, each timed in the debug log.

use std::time::Instant;

use futures_util::StreamExt;

/// Calls of one batch (networks, containers, a step's routers, checks) in flight at once. A
/// slow engine answers a few dozen concurrent requests no faster than a dozen, and a large lab
/// sending all of them at once got its connections reset.
pub(super) const MAX_CONCURRENT_CALLS: usize = 12;

/// Run the futures at most [`MAX_CONCURRENT_CALLS`] at a time; results in order.
pub(super) async fn bounded<F: std::future::Future>(
    futures: impl IntoIterator<Item = F>,
) -> Vec<F::Output> {
    futures_util::stream::iter(futures)
        .buffered(MAX_CONCURRENT_CALLS)
        .collect()
        .await
}

/// Await an engine call, logging how long it took (`MPLSREPL_LOG=mplsrepl=debug`).
pub(super) async fn traced<T, E>(
    what: impl std::fmt::Display,
    call: impl std::future::Future<Output = Result<T, E>>,
) -> Result<T, E> {
    let started = Instant::now();
    let result = call.await;
    tracing::debug!(
        "docker {what}: {} in {} ms",
        if result.is_ok() { "ok" } else { "failed" },
        started.elapsed().as_millis()
    );
    result
}
