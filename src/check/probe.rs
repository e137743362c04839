//! A steady probe stream across a change, read from iputils `ping -D -i INTERVAL` output: how
//! many probes were lost, how long the longest silence lasted, and how long after the change
//! the replies came back.

use serde::Serialize;

/// One echo reply: its sequence number and when it arrived (seconds since the epoch, as
/// `ping -D` prints it, on the clock of the host the router runs on).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reply {
    pub seq: u64,
    pub at: f64,
}

/// What the stream saw.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome {
    pub sent: u64,
    pub received: u64,
    pub lost: u64,
    /// The longest time without a reply after the change: from the last reply before the gap
    /// to the first after it (ms); 0 when no probe was lost.
    pub outage_ms: f64,
    /// From the change to the first reply after that gap (ms); 0 when no probe was lost.
    pub restore_ms: f64,
}

/// The replies in `ping -D` output: `[1733112345.123456] 64 bytes from 2.2.2.2: icmp_seq=12 ...`.
pub fn replies(text: &str) -> Vec<Reply> {
    text.lines()
        .filter_map(|line| {
            let rest = line.strip_prefix('[')?;
            let (stamp, rest) = rest.split_once(']')?;
            if !rest.contains(" bytes from ") {
                return None;
            }
            let seq = rest
                .split_whitespace()
                .find_map(|w| w.strip_prefix("icmp_seq="))?;
            Some(Reply {
                seq: seq.parse().ok()?,
                at: stamp.parse().ok()?,
            })
        })
        .collect()
}

/// `N packets transmitted, M received, ...` from ping's summary.
pub fn transmitted(text: &str) -> Option<u64> {
    text.lines().find_map(|l| {
        let (n, rest) = l.trim().split_once(' ')?;
        rest.starts_with("packets transmitted")
            .then(|| n.parse().ok())
            .flatten()
    })
}

/// The outcome of a stream of `sent` probes whose replies are `replies`, for a change made at
/// `changed_at` (same clock). Duplicated replies count once.
pub fn outcome(sent: u64, replies: &[Reply], changed_at: f64) -> Outcome {
    let mut got: Vec<Reply> = replies.to_vec();
    got.sort_by_key(|r| r.seq);
    got.dedup_by_key(|r| r.seq);
    let received = got.len() as u64;
    // The widest hole in the sequence after the change, bounded by the replies around it.
    let mut widest: Option<(Reply, Reply)> = None;
    for pair in got.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        if b.seq == a.seq + 1 || b.at < changed_at {
            continue;
        }
        if widest.is_none_or(|(x, y)| b.seq - a.seq > y.seq - x.seq) {
            widest = Some((a, b));
        }
    }
    let (outage_ms, restore_ms) = match widest {
        Some((before, after)) => (
            (after.at - before.at) * 1000.0,
            ((after.at - changed_at) * 1000.0).max(0.0),
        ),
        None => (0.0, 0.0),
    };
    Outcome {
        sent,
        received,
        lost: sent.saturating_sub(received),
        outage_ms,
        restore_ms,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OUTPUT: &str =
        "PING 192.168.2.1 (192.168.2.1) from 192.168.1.1 : 56(84) bytes of data.\n\
        [1700000000.000000] 64 bytes from 192.168.2.1: icmp_seq=1 ttl=62 time=1.10 ms\n\
        [1700000000.010000] 64 bytes from 192.168.2.1: icmp_seq=2 ttl=62 time=1.20 ms\n\
        no answer yet for icmp_seq=3\n\
        [1700000000.350000] 64 bytes from 192.168.2.1: icmp_seq=36 ttl=62 time=1.00 ms\n\
        [1700000000.360000] 64 bytes from 192.168.2.1: icmp_seq=37 ttl=62 time=1.00 ms\n\
        \n--- 192.168.2.1 ping statistics ---\n\
        37 packets transmitted, 4 received, 89.1892% packet loss, time 360ms\n";

    #[test]
    fn a_gap_after_the_change_is_the_outage() {
        let r = replies(OUTPUT);
        assert_eq!(r.len(), 4);
        assert_eq!(transmitted(OUTPUT), Some(37));
        let o = outcome(37, &r, 1700000000.015);
        assert_eq!((o.received, o.lost), (4, 33));
        assert!((o.outage_ms - 340.0).abs() < 1e-3, "{o:?}");
        assert!((o.restore_ms - 335.0).abs() < 1e-3, "{o:?}");
    }

    #[test]
    fn no_loss_is_no_outage_and_a_gap_before_the_change_is_not_counted() {
        let r = replies(OUTPUT);
        let o = outcome(37, &r, 1700000001.0);
        assert_eq!((o.outage_ms, o.restore_ms), (0.0, 0.0));
        let steady = [Reply { seq: 1, at: 1.0 }, Reply { seq: 2, at: 1.01 }];
        assert_eq!(outcome(2, &steady, 0.5).lost, 0);
    }
}
