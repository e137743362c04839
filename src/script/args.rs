//! Arguments as scripts write them (addresses, prefixes, route targets, ranges FRR takes),
//! parsed into typed values or refused with the reason.

use std::net::{IpAddr, Ipv4Addr};

use ipnet::{IpNet, Ipv4Net};
use rhai::{Array, Dynamic};

use super::common::RhaiResult;
use crate::frr::limits::{self, Knob};
use crate::script::api_error::ApiError;

pub fn parse_ip(text: &str) -> RhaiResult<Ipv4Addr> {
    text.parse().map_err(|_| {
        ApiError::Address {
            family: "IPv4",
            text: text.into(),
        }
        .into()
    })
}

/// An address of either family.
pub fn parse_any_ip(text: &str) -> RhaiResult<IpAddr> {
    text.parse().map_err(|_| {
        ApiError::Address {
            family: "IP",
            text: text.into(),
        }
        .into()
    })
}

/// A prefix of either family.
pub(crate) fn parse_any_prefix(text: &str) -> RhaiResult<IpNet> {
    text.parse()
        .map_err(|_| ApiError::Prefix(text.into()).into())
}

/// A static route's prefix and next hop, of one family; the default route is `0.0.0.0/0` or
/// `::/0` after the next hop's.
pub fn parse_route(prefix: Option<&str>, nexthop: &str) -> RhaiResult<(IpNet, IpAddr)> {
    let nh: IpAddr = nexthop
        .parse()
        .map_err(|_| ApiError::NextHop(nexthop.into()))?;
    let prefix: IpNet = match prefix {
        None if nh.is_ipv4() => "0.0.0.0/0".parse().expect("literal"),
        None => "::/0".parse().expect("literal"),
        Some(p) => parse_any_prefix(p)?,
    };
    if prefix != prefix.trunc() {
        // FRR masks the host bits, and the configuration read back would differ.
        return Err(ApiError::HostBits {
            prefix,
            network: prefix.trunc(),
        }
        .into());
    }
    if prefix.addr().is_ipv4() != nh.is_ipv4() {
        return Err(ApiError::MixedFamilies {
            prefix,
            nexthop: nh,
        }
        .into());
    }
    Ok((prefix, nh))
}

pub fn parse_prefix(text: &str) -> RhaiResult<Ipv4Net> {
    text.parse()
        .map_err(|_| ApiError::Ipv4Prefix(text.into()).into())
}

/// A value FRR would refuse, as a script error with FRR's range in its help line.
pub(crate) fn limit(knob: Knob, value: i64) -> RhaiResult<u32> {
    limits::check(knob, value).map_err(|r| ApiError::from(r).into())
}

pub(crate) fn to_u32(value: i64, what: &str) -> RhaiResult<u32> {
    u32::try_from(value).map_err(|_| {
        ApiError::OutOfRange {
            what: what.into(),
            value,
        }
        .into()
    })
}

/// A route target or a list of them, as accepted by `rt`, `rt_import`, `rt_export`.
pub(crate) fn route_targets(value: Dynamic) -> RhaiResult<Vec<String>> {
    let items: Vec<Dynamic> = if value.is_array() {
        value.cast::<Array>()
    } else {
        vec![value]
    };
    items
        .into_iter()
        .map(|v| {
            let s = v
                .into_string()
                .map_err(|t| ApiError::NotAString(t.into()))?;
            validate_community(&s, "RT")?;
            Ok(s)
        })
        .collect()
}

/// RD/RT syntax: `ASN:NN` or `IP:NN`.
pub(crate) fn validate_community(text: &str, what: &str) -> RhaiResult<()> {
    limits::check_community(text, what).map_err(|r| ApiError::from(r).into())
}

pub(crate) fn check_redistribute(proto: &str) -> RhaiResult<()> {
    match proto {
        "static" | "connected" | "ospf" | "bgp" | "kernel" => Ok(()),
        _ => Err(ApiError::Redistribute(proto.into()).into()),
    }
}

/// A static route from a script's prefix (none: the default route of the next hop's family)
/// and next hop, in a VRF or the default table.
pub(crate) fn static_route(
    vrf: Option<&str>,
    prefix: Option<&str>,
    nexthop: &str,
) -> RhaiResult<crate::intent::StaticRoute> {
    let (prefix, nexthop) = parse_route(prefix, nexthop)?;
    Ok(crate::intent::StaticRoute {
        vrf: vrf.map(str::to_string),
        prefix,
        nexthop,
    })
}

/// The longest wait or timeout a script may ask for: a day.
pub(crate) const MAX_SECONDS: f64 = 86_400.0;

/// Seconds a script gives for a wait or a timeout: a number above 0 and at most a day
/// (infinity, NaN or 1e20 would not fit a clock).
pub(crate) fn seconds(what: &str, value: f64) -> RhaiResult<std::time::Duration> {
    if value.is_finite() && value > 0.0 && value <= MAX_SECONDS {
        return Ok(std::time::Duration::from_secs_f64(value));
    }
    Err(ApiError::Seconds {
        what: what.to_string(),
        value,
    }
    .into())
}
