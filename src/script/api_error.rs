//! What a script asked for that cannot be, as kinds rather than format strings: each kind says
//! its message (and, for what FRR would refuse, FRR's range in a help line). Rhai places the
//! error at the call that raised it; a script's `catch` sees the message text.

use std::net::IpAddr;

use ipnet::IpNet;
use rhai::EvalAltResult;

use crate::frr::limits::Refused;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// `family` is IPv4, IPv6 or IP (either).
    #[error("invalid {family} address `{text}`")]
    Address { family: &'static str, text: String },
    #[error("invalid prefix `{0}` (expected like 10.1.1.0/24 or 2001:db8:1::/64)")]
    Prefix(String),
    #[error("invalid IPv4 prefix `{0}` (expected like 10.1.1.0/24)")]
    Ipv4Prefix(String),
    #[error("invalid next hop `{0}` (an IPv4 or IPv6 address)")]
    NextHop(String),
    #[error("route {prefix} via {nexthop}: the prefix and the next hop must be of one family")]
    MixedFamilies { prefix: IpNet, nexthop: IpAddr },
    #[error("route {prefix} has host bits set: its network is {network}\nhelp: write {network}")]
    HostBits { prefix: IpNet, network: IpNet },
    #[error("{what} out of range: {value}")]
    OutOfRange { what: String, value: i64 },
    #[error("{what} must be a number of seconds above 0 and at most a day (86400), not {value}")]
    Seconds { what: String, value: f64 },
    #[error("route target must be a string, not {0}")]
    NotAString(String),
    #[error("cannot redistribute `{0}`: expected static, connected, ospf, bgp or kernel")]
    Redistribute(String),
    #[error("unknown role `{0}`: expected p, pe, ce or rr")]
    Role(String),
    #[error("unknown router `{0}`")]
    UnknownRouter(String),
    #[error("router {router} has no interface `{iface}`")]
    UnknownInterface { router: String, iface: String },
    #[error("router {router} has no VRF {vrf}")]
    NoVrf { router: String, vrf: String },
    #[error("router {0} has no loopback")]
    NoLoopback(String),
    /// A handle kept after its part was removed: `what` is `BGP`, `SR`, `neighbor IP`.
    #[error("{what} was removed from {router}")]
    Removed { what: String, router: String },
    /// SR in both IGPs of one router: both daemons ask zebra for the SRLB 15000-15999, which
    /// zebra gives to the first; the second runs SR without labels and says nothing.
    #[error(
        "{router} already runs SR over {other}: isisd and ospfd both take FRR's local block (SRLB) \
         15000-15999, and zebra gives it to the daemon that asks first, so the other would run SR \
         without labels\nhelp: remove the other IGP's SR first (r.no_sr(), or r.no_isis() / r.no_ospf())"
    )]
    SrInBothIgps { router: String, other: &'static str },
    /// A feature the router's FRR line lacks: `plan` says so before a router refuses it.
    #[error(
        "{router} runs FRR {major}, which has no {what} (FRR {since} and later)\nhelp: {help}"
    )]
    NotOnFrr {
        router: String,
        major: u32,
        what: String,
        since: String,
        help: String,
    },
    /// A value FRR or the kernel would refuse.
    #[error("{0}")]
    Refused(#[from] Refused),
}

impl From<ApiError> for Box<EvalAltResult> {
    fn from(e: ApiError) -> Self {
        super::common::err(e)
    }
}
