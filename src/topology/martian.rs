//! Addresses no router interface may have: zebra or the kernel refuses them, or they already
//! mean something else on every host. One rule for the topology and the script API.

use std::net::IpAddr;

/// Why `addr` cannot be an interface's address, if it cannot.
pub fn martian(addr: IpAddr) -> Option<&'static str> {
    match addr {
        IpAddr::V4(a) if a.is_unspecified() => Some("the unspecified address"),
        IpAddr::V4(a) if a.is_loopback() => Some("in 127.0.0.0/8, every host's own loopback"),
        IpAddr::V4(a) if a.is_multicast() => Some("a multicast address (224.0.0.0/4)"),
        IpAddr::V4(a) if a.is_broadcast() => Some("the limited broadcast address"),
        IpAddr::V6(a) if a.is_unspecified() => Some("the unspecified address"),
        IpAddr::V6(a) if a.is_loopback() => Some("every host's own loopback (::1)"),
        IpAddr::V6(a) if a.is_multicast() => Some("a multicast address (ff00::/8)"),
        _ => None,
    }
}

/// The help line for a martian address.
pub const HELP: &str = "give it a unicast address, like 10.1.1.2/24 (or 2001:db8:1::2/64 for IPv6)";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unicast_passes_and_the_rest_is_named() {
        for ok in ["10.1.1.2", "192.168.1.1", "2001:db8::1", "fe80::1"] {
            assert_eq!(martian(ok.parse().unwrap()), None, "{ok}");
        }
        for bad in [
            "0.0.0.0",
            "127.0.0.1",
            "224.0.0.5",
            "255.255.255.255",
            "::",
            "::1",
            "ff02::1",
        ] {
            assert!(martian(bad.parse().unwrap()).is_some(), "{bad}");
        }
    }
}
