//! What FRR and the kernel accept, so that a plan that passes is a lab FRR takes: numeric
//! ranges of the knobs the API sets, the forms of route distinguishers and targets, VRF names
//! and tables. The ranges are those FRR 8.4 and 10.x share (their CLI grammar for these did not
//! change between the two).

use std::fmt;
use std::net::Ipv4Addr;

/// A numeric setting the API passes to FRR.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Knob {
    OspfCost,
    OspfHello,
    OspfDead,
    Asn,
    LdpHelloInterval,
    LdpHelloHoldtime,
    VrfTable,
    IsisMetric,
    IsisHelloInterval,
    IsisHelloMultiplier,
    IsisLspGenInterval,
    BfdInterval,
    BfdMultiplier,
}

impl Knob {
    /// Its name in messages, and the range FRR takes.
    fn spec(self) -> (&'static str, u64, u64) {
        match self {
            Knob::OspfCost => ("OSPF cost", 1, 65535),
            Knob::OspfHello => ("OSPF hello interval (s)", 1, 65535),
            Knob::OspfDead => ("OSPF dead interval (s)", 1, 65535),
            Knob::Asn => ("AS number", 1, u64::from(u32::MAX)),
            Knob::LdpHelloInterval => ("LDP hello interval (s)", 1, 65535),
            Knob::LdpHelloHoldtime => ("LDP hello holdtime (s)", 1, 65535),
            // 0 is no table; 253-255 are the kernel's default, main and local tables.
            Knob::VrfTable => ("VRF table", 1, u64::from(u32::MAX)),
            // Wide metrics, FRR's default style.
            Knob::IsisMetric => ("IS-IS metric", 1, 16_777_215),
            Knob::IsisHelloInterval => ("IS-IS hello interval (s)", 1, 600),
            Knob::IsisHelloMultiplier => ("IS-IS hello multiplier", 2, 100),
            Knob::IsisLspGenInterval => ("IS-IS LSP generation interval (s)", 1, 120),
            Knob::BfdInterval => ("BFD interval (ms)", 10, 60000),
            Knob::BfdMultiplier => ("BFD detect multiplier", 2, 255),
        }
    }
}

/// A value FRR or the kernel would refuse, with what it takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub message: String,
    pub help: String,
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}\nhelp: {}", self.message, self.help)
    }
}

impl std::error::Error for Refused {}

/// `value` as the knob's type, when FRR takes it.
pub fn check(knob: Knob, value: i64) -> Result<u32, Refused> {
    let (what, min, max) = knob.spec();
    let in_range = u64::try_from(value).is_ok_and(|v| (min..=max).contains(&v));
    if !in_range {
        return Err(Refused {
            message: format!("{what} {value} is out of range"),
            help: format!("FRR takes {min}-{max}"),
        });
    }
    if knob == Knob::VrfTable && (253..=255).contains(&value) {
        return Err(Refused {
            message: format!("VRF table {value} is one of the kernel's own tables"),
            help: "253, 254 and 255 are the default, main and local tables: pick another, e.g. 10"
                .to_string(),
        });
    }
    Ok(value as u32)
}

/// A route distinguisher or route target, in one of BGP's three forms: a 2-byte AS with a
/// 4-byte number (`65000:100`), a 4-byte AS with a 2-byte number (`4200000000:10`), an IPv4
/// address with a 2-byte number (`1.1.1.1:10`).
pub fn check_community(text: &str, what: &str) -> Result<(), Refused> {
    let help = "write ASN:NN (AS up to 65535 with NN up to 4294967295, or a 4-byte AS with NN \
                up to 65535) or A.B.C.D:NN (NN up to 65535), e.g. 10:100";
    let refused = |why: &str| Refused {
        message: format!("invalid {what} `{text}`: {why}"),
        help: help.to_string(),
    };
    let Some((left, right)) = text.rsplit_once(':') else {
        return Err(refused("no `:`"));
    };
    // Digits only: Rust's parse takes `+5`, FRR's does not.
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    let Some(number) = right.parse::<u64>().ok().filter(|_| digits(right)) else {
        return Err(refused("the part after `:` is not a number"));
    };
    if left.parse::<Ipv4Addr>().is_ok() {
        return if number <= 65535 {
            Ok(())
        } else {
            Err(refused(
                "after an address, the number takes 2 bytes (0-65535)",
            ))
        };
    }
    let Some(asn) = left.parse::<u64>().ok().filter(|_| digits(left)) else {
        return Err(refused(
            "the part before `:` is neither an AS number nor an address",
        ));
    };
    match asn {
        0..=65535 if number <= u64::from(u32::MAX) => Ok(()),
        0..=65535 => Err(refused("the number takes 4 bytes")),
        65536..=4294967295 if number <= 65535 => Ok(()),
        65536..=4294967295 => Err(refused(
            "with a 4-byte AS number, the number after `:` takes 2 bytes (0-65535)",
        )),
        _ => Err(refused("the AS number takes 4 bytes")),
    }
}

/// A VRF's name: a Linux device name that is not FRR's `default` VRF nor one of the router's
/// interfaces (`interfaces` includes `lo`).
pub fn check_vrf_name(name: &str, interfaces: &[&str]) -> Result<(), Refused> {
    match crate::topology::names::vrf_name_problem(name, interfaces) {
        Some((message, help)) => Err(Refused { message, help }),
        None => Ok(()),
    }
}

/// What may be bound to a VRF: any interface but the loopback, which holds the router's own
/// address in the default table (a VRF gets a loopback of its own through its device).
pub fn check_vrf_member(iface: &str) -> Result<(), Refused> {
    if iface == "lo" {
        return Err(Refused {
            message: "lo cannot be bound to a VRF".to_string(),
            help: "the loopback holds the router's address in the default table; bind the \
                   interface towards the customer instead"
                .to_string(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_frrs() {
        assert_eq!(check(Knob::OspfCost, 10), Ok(10));
        let e = check(Knob::OspfCost, 999_999_999).unwrap_err();
        assert_eq!(e.message, "OSPF cost 999999999 is out of range");
        assert_eq!(e.help, "FRR takes 1-65535");
        assert!(check(Knob::OspfHello, 0).is_err());
        assert!(check(Knob::OspfDead, 0).is_err());
        assert!(check(Knob::Asn, 0).is_err());
        assert_eq!(check(Knob::Asn, 4_200_000_000), Ok(4_200_000_000));
        assert!(check(Knob::Asn, 4_294_967_296).is_err());
        assert!(check(Knob::VrfTable, 0).is_err());
        for t in [253, 254, 255] {
            assert!(check(Knob::VrfTable, t)
                .unwrap_err()
                .message
                .contains("kernel's own"));
        }
        assert_eq!(check(Knob::VrfTable, 10), Ok(10));
        assert!(check(Knob::OspfCost, -1).is_err());
    }

    #[test]
    fn route_distinguishers_and_targets_take_bgps_three_forms() {
        for ok in [
            "10:100",
            "65535:4294967295",
            "4200000000:10",
            "1.1.1.1:10",
            "0:0",
        ] {
            assert_eq!(check_community(ok, "RT"), Ok(()), "{ok}");
        }
        for bad in [
            "70000:70000",
            "1.1.1.1:70000",
            "65000:4294967296",
            "4294967296:1",
            "x:1",
            "10",
            "10:x",
        ] {
            assert!(check_community(bad, "RT").is_err(), "{bad}");
        }
        assert!(check_community("70000:70000", "RT")
            .unwrap_err()
            .message
            .contains("4-byte AS"));
    }

    #[test]
    fn vrf_names_and_members() {
        let ifaces = ["lo", "eth0", "eth1"];
        assert_eq!(check_vrf_name("CUSTA", &ifaces), Ok(()));
        assert!(check_vrf_name("eth0", &ifaces).is_err());
        assert!(check_vrf_name("default", &ifaces).is_err());
        assert!(check_vrf_name("lo", &ifaces).is_err());
        assert!(check_vrf_name("a very long vrf name", &ifaces).is_err());
        assert!(check_vrf_member("lo").is_err());
        assert_eq!(check_vrf_member("eth1"), Ok(()));
    }
}
