//! Decoding of the classic pcap files that `tcpdump -w` writes inside a lab container, down
//! to what MPLS checks look at: the label stack and the IP (v4 or v6) and ICMP headers under it,
//! or a pseudowire's Ethernet frame (with or without a control word) and the IP inside it.
//!
//! Only the classic format is read (tcpdump 4.99 writes it unless given `--pcapng`). Frames are
//! decoded best-effort: a frame cut short yields whatever was decoded before the cut, flagged
//! `truncated`, because a half-decoded packet still says which labels were on the wire.

use std::fmt;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::Path;

use serde::{Serialize, Serializer};

const ETHERTYPE_IPV4: u16 = 0x0800;
const ETHERTYPE_ARP: u16 = 0x0806;
const ETHERTYPE_VLAN: u16 = 0x8100;
const ETHERTYPE_QINQ: u16 = 0x88a8;
const ETHERTYPE_QINQ_OLD: u16 = 0x9100;
const ETHERTYPE_IPV6: u16 = 0x86dd;
const ETHERTYPE_MPLS_UC: u16 = 0x8847;
const ETHERTYPE_MPLS_MC: u16 = 0x8848;

const LINKTYPE_ETHERNET: u32 = 1;
const LINKTYPE_RAW: u32 = 101;
const LINKTYPE_LINUX_SLL: u32 = 113;
const LINKTYPE_IPV4: u32 = 228;
const LINKTYPE_LINUX_SLL2: u32 = 276;

/// ARPHRD_ETHER: the SLL address field holds a MAC only for this hardware type.
const ARPHRD_ETHER: u16 = 1;

const GLOBAL_HEADER_LEN: usize = 24;
const RECORD_HEADER_LEN: usize = 16;

const IPPROTO_ICMP: u8 = 1;
const IPPROTO_ICMPV6: u8 = 58;
const ICMP_ECHO_REPLY: u8 = 0;
const ICMP_ECHO_REQUEST: u8 = 8;
const ICMPV6_ECHO_REQUEST: u8 = 128;
const ICMPV6_ECHO_REPLY: u8 = 129;

/// IPv6 extension headers a ping may carry before its ICMPv6 header: hop-by-hop, routing,
/// destination options (length in 8-byte units after the first 8), fragment (8 bytes).
const IPV6_HOP_BY_HOP: u8 = 0;
const IPV6_ROUTING: u8 = 43;
const IPV6_FRAGMENT: u8 = 44;
const IPV6_DEST_OPTS: u8 = 60;
/// A whole IP packet as the next header: SRv6 encapsulation (RFC 8986's End.DT4/DT6/DT46).
const IPPROTO_IPIP: u8 = 4;
const IPPROTO_IPV6: u8 = 41;
/// The routing header type of a segment routing header (RFC 8754).
const ROUTING_TYPE_SRH: u8 = 4;

/// Why a file could not be read as a capture at all. Problems with single packets are not
/// errors: they end up in [`Packet::truncated`] or [`Capture::warnings`].
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CaptureError {
    #[error(
        "not a pcap file: {len} bytes, but the pcap file header alone is 24 (did tcpdump start?)"
    )]
    TooShort { len: usize },
    #[error("this is a pcapng file; only classic pcap is read (run tcpdump without --pcapng, or convert with `editcap -F pcap`)")]
    PcapNg,
    #[error("not a pcap file: unknown magic number 0x{0:08x}")]
    BadMagic(u32),
    #[error(
        "unsupported pcap link type {0} (Ethernet, Linux cooked SLL/SLL2 and raw IP are read)"
    )]
    UnsupportedLinkType(u32),
}

/// A MAC address, shown and serialized as `aa:bb:cc:dd:ee:ff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MacAddr(pub [u8; 6]);

impl fmt::Display for MacAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d, e, g] = self.0;
        write!(f, "{a:02x}:{b:02x}:{c:02x}:{d:02x}:{e:02x}:{g:02x}")
    }
}

impl Serialize for MacAddr {
    // A string, because scripts compare MACs with what `ip link` prints, not byte arrays.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// One MPLS label stack entry (RFC 3032).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct MplsLabel {
    pub label: u32,
    /// Traffic class (the former EXP bits).
    pub tc: u8,
    /// Bottom of stack (the S bit).
    pub bottom: bool,
    pub ttl: u8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct IcmpSummary {
    /// ICMP type (`type` is a Rust keyword): 8 echo request, 0 echo reply, 11 time exceeded;
    /// for ICMPv6 128 echo request, 129 echo reply, 3 time exceeded.
    pub kind: u8,
    pub code: u8,
}

/// A customer's Ethernet frame that a pseudowire carries under the label stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PwFrame {
    /// A control word (RFC 4385, a first nibble of 0) came before the frame.
    pub control_word: bool,
    pub src_mac: Option<MacAddr>,
    pub dst_mac: Option<MacAddr>,
    /// The frame's EtherType after any VLAN tags.
    pub ethertype: u16,
}

/// The IPv6 header an SRv6 head end puts around the customer's packet: its destination is the
/// active segment (a SID of the egress PE), and the segment routing header, when there is one,
/// lists the segments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Srv6Summary {
    pub src: Ipv6Addr,
    /// The active SID.
    pub dst: Ipv6Addr,
    pub hop_limit: u8,
    /// The SRH's segment list as carried (the last segment first); empty without an SRH.
    pub segments: Vec<Ipv6Addr>,
    /// The SRH's segments left; `None` without an SRH.
    pub segments_left: Option<u8>,
}

/// An IPv4 or IPv6 header, as far as checks look at it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct IpSummary {
    pub src: IpAddr,
    pub dst: IpAddr,
    /// The TTL, or IPv6's hop limit.
    pub ttl: u8,
    /// The protocol, or for IPv6 the upper-layer header after any extension headers.
    pub protocol: u8,
    /// Present for ICMP (ICMPv6) first fragments whose ICMP header was captured.
    pub icmp: Option<IcmpSummary>,
}

impl IpSummary {
    fn is_ipv6(&self) -> bool {
        self.src.is_ipv6()
    }

    fn is_icmp(&self) -> bool {
        self.protocol
            == if self.is_ipv6() {
                IPPROTO_ICMPV6
            } else {
                IPPROTO_ICMP
            }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Packet {
    /// 1-based position in the file, as tcpdump `-#` and Wireshark number frames, so a packet
    /// named in a report can be found in the saved file.
    pub index: usize,
    /// Seconds since the first packet of the capture.
    pub time: f64,
    /// Length on the wire, which may exceed what was captured.
    pub len: u32,
    /// Absent with `-i any` captures (Linux cooked headers carry only the source address).
    pub src_mac: Option<MacAddr>,
    pub dst_mac: Option<MacAddr>,
    /// The outermost 802.1Q/802.1ad VLAN ID.
    pub vlan: Option<u16>,
    /// The EtherType after any VLAN tags (for raw IP link types, the one implied by the IP
    /// version); `None` when the frame ended before it.
    pub ethertype: Option<u16>,
    /// Outermost label first.
    pub labels: Vec<MplsLabel>,
    /// The Ethernet frame under the labels, when a pseudowire carries one.
    pub pw_frame: Option<PwFrame>,
    /// The IP header, directly in the frame, under the label stack, in a pseudowire's frame,
    /// or inside an SRv6 encapsulation.
    pub ip: Option<IpSummary>,
    /// The SRv6 encapsulation around `ip`, when the packet crosses an SRv6 core.
    pub srv6: Option<Srv6Summary>,
    /// Decoding ran out of captured bytes (snap length, or a record cut short) before the
    /// headers above were complete.
    pub truncated: bool,
}

impl Packet {
    /// Number of labels on the wire: 2 inside the core of an L3VPN, 1 after PHP, 0 at the edge.
    pub fn label_depth(&self) -> usize {
        self.labels.len()
    }

    /// An ICMP or ICMPv6 echo request.
    pub fn is_icmp_echo_request(&self) -> bool {
        self.icmp_kind() == Some(ICMP_ECHO_REQUEST)
    }

    pub fn is_icmp_echo_reply(&self) -> bool {
        self.icmp_kind() == Some(ICMP_ECHO_REPLY)
    }

    /// The ICMP type, ICMPv6's echo types mapped to ICMP's so one test serves both.
    fn icmp_kind(&self) -> Option<u8> {
        let ip = self.ip.filter(IpSummary::is_icmp)?;
        let kind = ip.icmp?.kind;
        Some(match (ip.is_ipv6(), kind) {
            (true, ICMPV6_ECHO_REQUEST) => ICMP_ECHO_REQUEST,
            (true, ICMPV6_ECHO_REPLY) => ICMP_ECHO_REPLY,
            (true, _) => u8::MAX,
            (false, k) => k,
        })
    }

    fn empty(index: usize, time: f64, len: u32) -> Self {
        Packet {
            index,
            time,
            len,
            src_mac: None,
            dst_mac: None,
            vlan: None,
            ethertype: None,
            labels: Vec::new(),
            pw_frame: None,
            ip: None,
            srv6: None,
            truncated: false,
        }
    }
}

/// Reads like a condensed `tcpdump -e` line, e.g.
/// `#3 MPLS [16 ttl 63] [80 S ttl 63] 192.168.1.1 > 192.168.2.1 ICMP echo request ttl 63`.
impl fmt::Display for Packet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.index)?;
        if let Some(vlan) = self.vlan {
            write!(f, " vlan {vlan}")?;
        }
        if !self.labels.is_empty() {
            f.write_str(" MPLS")?;
            for l in &self.labels {
                write!(f, " [{}", l.label)?;
                if l.tc != 0 {
                    write!(f, " tc {}", l.tc)?;
                }
                if l.bottom {
                    f.write_str(" S")?;
                }
                write!(f, " ttl {}]", l.ttl)?;
            }
            if let Some(frame) = &self.pw_frame {
                if frame.control_word {
                    f.write_str(" cw")?;
                }
                f.write_str(" ether")?;
                if let (Some(src), Some(dst)) = (frame.src_mac, frame.dst_mac) {
                    write!(f, " {src} > {dst}")?;
                }
                if self.ip.is_none() {
                    match frame.ethertype {
                        ETHERTYPE_ARP => f.write_str(" ARP")?,
                        other => write!(f, " ethertype 0x{other:04x}")?,
                    }
                }
            }
        } else if let Some(outer) = &self.srv6 {
            write!(f, " SRv6 {} > {}", outer.src, outer.dst)?;
            if let Some(left) = outer.segments_left {
                f.write_str(" SRH [")?;
                for (k, sid) in outer.segments.iter().enumerate() {
                    if k > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{sid}")?;
                }
                write!(f, "] left {left}")?;
            }
            if let Some(ip) = &self.ip {
                f.write_str(if ip.is_ipv6() { " | IP6" } else { " | IP" })?;
            }
        } else if let Some(ip) = &self.ip {
            f.write_str(if ip.is_ipv6() { " IP6" } else { " IP" })?;
        } else {
            match self.ethertype {
                Some(ETHERTYPE_ARP) => f.write_str(" ARP")?,
                Some(ETHERTYPE_IPV6) => f.write_str(" IP6")?,
                Some(ETHERTYPE_IPV4) => f.write_str(" IP")?,
                Some(other) => write!(f, " ethertype 0x{other:04x}")?,
                None => {}
            }
        }
        if let Some(ip) = &self.ip {
            write!(f, " {} > {} ", ip.src, ip.dst)?;
            write_protocol(f, ip)?;
            write!(f, " ttl {}", ip.ttl)?;
        } else if !self.labels.is_empty() && !self.truncated && self.pw_frame.is_none() {
            f.write_str(" (non-IP payload)")?;
        }
        if self.truncated {
            f.write_str(" [truncated]")?;
        }
        Ok(())
    }
}

fn write_protocol(f: &mut fmt::Formatter<'_>, ip: &IpSummary) -> fmt::Result {
    if ip.is_ipv6() && ip.protocol == IPPROTO_ICMPV6 {
        f.write_str("ICMP6")?;
        if let Some(icmp) = ip.icmp {
            match icmp.kind {
                ICMPV6_ECHO_REQUEST => f.write_str(" echo request")?,
                ICMPV6_ECHO_REPLY => f.write_str(" echo reply")?,
                1 => f.write_str(" unreachable")?,
                2 => f.write_str(" packet too big")?,
                3 => f.write_str(" time exceeded")?,
                135 => f.write_str(" neighbor solicitation")?,
                136 => f.write_str(" neighbor advertisement")?,
                other => write!(f, " type {other}")?,
            }
            if icmp.code != 0 {
                write!(f, " code {}", icmp.code)?;
            }
        }
        return Ok(());
    }
    match ip.protocol {
        IPPROTO_ICMP => {
            f.write_str("ICMP")?;
            if let Some(icmp) = ip.icmp {
                match icmp.kind {
                    ICMP_ECHO_REPLY => f.write_str(" echo reply")?,
                    ICMP_ECHO_REQUEST => f.write_str(" echo request")?,
                    3 => f.write_str(" unreachable")?,
                    11 => f.write_str(" time exceeded")?,
                    other => write!(f, " type {other}")?,
                }
                if icmp.code != 0 {
                    write!(f, " code {}", icmp.code)?;
                }
            }
            Ok(())
        }
        2 => f.write_str("IGMP"),
        6 => f.write_str("TCP"),
        17 => f.write_str("UDP"),
        47 => f.write_str("GRE"),
        58 => f.write_str("ICMP6"),
        89 => f.write_str("OSPF"),
        other => write!(f, "proto {other}"),
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Capture {
    pub packets: Vec<Packet>,
    /// The file exactly as tcpdump wrote it; save it (see [`write_pcap`]) to open in Wireshark.
    pub raw: Vec<u8>,
    /// Problems with the file that did not stop decoding, e.g. a last record cut short because
    /// tcpdump was killed mid-write.
    pub warnings: Vec<String>,
}

impl Capture {
    /// ICMP (ICMPv6) echo requests from `src` to `dst`, in capture order.
    pub fn echo_requests(&self, src: IpAddr, dst: IpAddr) -> Vec<&Packet> {
        self.packets
            .iter()
            .filter(|p| {
                p.is_icmp_echo_request() && p.ip.is_some_and(|ip| ip.src == src && ip.dst == dst)
            })
            .collect()
    }
}

/// Saves the capture as the pcap file tcpdump wrote.
pub fn write_pcap(path: impl AsRef<Path>, capture: &Capture) -> io::Result<()> {
    std::fs::write(path, &capture.raw)
}

#[derive(Clone, Copy)]
enum Link {
    Ethernet,
    Sll,
    Sll2,
    RawIp,
}

/// Field reader for the file's byte order (the writer's native order, marked by the magic).
#[derive(Clone, Copy)]
struct Order {
    big: bool,
}

impl Order {
    fn u32(self, b: &[u8], at: usize) -> Option<u32> {
        let bytes: [u8; 4] = b.get(at..at.checked_add(4)?)?.try_into().ok()?;
        Some(if self.big {
            u32::from_be_bytes(bytes)
        } else {
            u32::from_le_bytes(bytes)
        })
    }
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    let bytes: [u8; 2] = b.get(at..at.checked_add(2)?)?.try_into().ok()?;
    Some(u16::from_be_bytes(bytes))
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    let bytes: [u8; 4] = b.get(at..at.checked_add(4)?)?.try_into().ok()?;
    Some(u32::from_be_bytes(bytes))
}

fn mac(b: &[u8], at: usize) -> Option<MacAddr> {
    let bytes: [u8; 6] = b.get(at..at.checked_add(6)?)?.try_into().ok()?;
    Some(MacAddr(bytes))
}

fn ipv4(b: &[u8], at: usize) -> Option<Ipv4Addr> {
    let bytes: [u8; 4] = b.get(at..at.checked_add(4)?)?.try_into().ok()?;
    Some(Ipv4Addr::from(bytes))
}

fn ipv6(b: &[u8], at: usize) -> Option<Ipv6Addr> {
    let bytes: [u8; 16] = b.get(at..at + 16)?.try_into().ok()?;
    Some(Ipv6Addr::from(bytes))
}

fn tail(b: &[u8], from: usize) -> &[u8] {
    b.get(from..).unwrap_or_default()
}

/// Parses a classic pcap file. Fails only if the file as a whole is not one; see
/// [`Capture::warnings`] and [`Packet::truncated`] for damage within it.
pub fn parse_pcap(bytes: &[u8]) -> Result<Capture, CaptureError> {
    let magic_le = match bytes.get(0..4) {
        Some(&[a, b, c, d]) => u32::from_le_bytes([a, b, c, d]),
        _ => return Err(CaptureError::TooShort { len: bytes.len() }),
    };
    // The pcapng Section Header Block type reads the same in both byte orders.
    if magic_le == 0x0a0d_0d0a {
        return Err(CaptureError::PcapNg);
    }
    let (order, nanos) = match magic_le {
        0xa1b2_c3d4 => (Order { big: false }, false),
        0xa1b2_3c4d => (Order { big: false }, true),
        0xd4c3_b2a1 => (Order { big: true }, false),
        0x4d3c_b2a1 => (Order { big: true }, true),
        other => return Err(CaptureError::BadMagic(other.swap_bytes())),
    };
    if bytes.len() < GLOBAL_HEADER_LEN {
        return Err(CaptureError::TooShort { len: bytes.len() });
    }
    let network = order
        .u32(bytes, 20)
        .ok_or(CaptureError::TooShort { len: bytes.len() })?;
    // The upper bits of this field may carry FCS information; the link type is the low 16.
    let link = match network & 0xffff {
        LINKTYPE_ETHERNET => Link::Ethernet,
        LINKTYPE_LINUX_SLL => Link::Sll,
        LINKTYPE_LINUX_SLL2 => Link::Sll2,
        LINKTYPE_RAW | LINKTYPE_IPV4 => Link::RawIp,
        other => return Err(CaptureError::UnsupportedLinkType(other)),
    };

    let frac_per_sec: i64 = if nanos { 1_000_000_000 } else { 1_000_000 };
    let mut packets = Vec::new();
    let mut warnings = Vec::new();
    let mut first_ts: Option<i64> = None;
    let mut at = GLOBAL_HEADER_LEN;
    while at < bytes.len() {
        let index = packets.len() + 1;
        let header = (
            order.u32(bytes, at),
            order.u32(bytes, at + 4),
            order.u32(bytes, at + 8),
            order.u32(bytes, at + 12),
        );
        let (Some(sec), Some(frac), Some(caplen), Some(len)) = header else {
            warnings.push(format!(
                "{} trailing bytes are not a whole record header (capture cut short after packet {})",
                bytes.len() - at,
                index - 1
            ));
            break;
        };
        let data_start = at + RECORD_HEADER_LEN;
        let available = bytes.len() - data_start;
        let caplen = usize::try_from(caplen).unwrap_or(usize::MAX);
        let data_end = data_start + caplen.min(available);
        if caplen > available {
            warnings.push(format!(
                "packet {index}: record claims {caplen} bytes but only {available} remain (capture cut short)"
            ));
        }
        let data = bytes.get(data_start..data_end).unwrap_or_default();

        // Integer nanoseconds so that the subtraction is exact; the division into f64 at the
        // end loses nothing a check would care about.
        let ts = i64::from(sec) * 1_000_000_000 + i64::from(frac) * (1_000_000_000 / frac_per_sec);
        let first = *first_ts.get_or_insert(ts);
        let time = (ts - first) as f64 / 1e9;

        let mut packet = Packet::empty(index, time, len);
        packet.truncated = caplen > available;
        decode_frame(link, data, &mut packet);
        packets.push(packet);
        at = data_end;
    }
    Ok(Capture {
        packets,
        raw: bytes.to_vec(),
        warnings,
    })
}

fn decode_frame(link: Link, data: &[u8], p: &mut Packet) {
    let (ethertype, payload) = match link {
        Link::Ethernet => {
            p.dst_mac = mac(data, 0);
            p.src_mac = mac(data, 6);
            let Some(ethertype) = be16(data, 12) else {
                p.truncated = true;
                return;
            };
            (ethertype, tail(data, 14))
        }
        Link::Sll => {
            // packet type, ARPHRD type, address length, 8 address bytes, protocol.
            let Some(protocol) = be16(data, 14) else {
                p.truncated = true;
                return;
            };
            if be16(data, 2) == Some(ARPHRD_ETHER) && be16(data, 4) == Some(6) {
                p.src_mac = mac(data, 6);
            }
            (protocol, tail(data, 16))
        }
        Link::Sll2 => {
            // protocol, reserved, ifindex, ARPHRD type, packet type, address length, address.
            let Some(protocol) = be16(data, 0).filter(|_| data.len() >= 20) else {
                p.truncated = true;
                return;
            };
            if be16(data, 8) == Some(ARPHRD_ETHER) && data.get(11) == Some(&6) {
                p.src_mac = mac(data, 12);
            }
            (protocol, tail(data, 20))
        }
        Link::RawIp => {
            match data.first().map(|b| b >> 4) {
                Some(4) => {
                    p.ethertype = Some(ETHERTYPE_IPV4);
                    decode_ipv4(data, p);
                }
                Some(6) => {
                    p.ethertype = Some(ETHERTYPE_IPV6);
                    decode_ipv6(data, p);
                }
                Some(_) => {}
                None => p.truncated = true,
            }
            return;
        }
    };
    decode_ethertype(ethertype, payload, p);
}

fn decode_ethertype(mut ethertype: u16, mut payload: &[u8], p: &mut Packet) {
    // Each pass consumes four bytes, so stacked (or bogus) tags cannot loop forever.
    while matches!(
        ethertype,
        ETHERTYPE_VLAN | ETHERTYPE_QINQ | ETHERTYPE_QINQ_OLD
    ) {
        let (Some(tci), Some(inner)) = (be16(payload, 0), be16(payload, 2)) else {
            p.truncated = true;
            return;
        };
        p.vlan.get_or_insert(tci & 0x0fff);
        ethertype = inner;
        payload = tail(payload, 4);
    }
    p.ethertype = Some(ethertype);
    match ethertype {
        ETHERTYPE_MPLS_UC | ETHERTYPE_MPLS_MC => decode_mpls(payload, p),
        ETHERTYPE_IPV4 => decode_ipv4(payload, p),
        ETHERTYPE_IPV6 => decode_ipv6(payload, p),
        _ => {}
    }
}

fn decode_mpls(payload: &[u8], p: &mut Packet) {
    let mut at = 0;
    loop {
        let Some(entry) = be32(payload, at) else {
            p.truncated = true;
            return;
        };
        at += 4;
        let label = MplsLabel {
            label: entry >> 12,
            tc: ((entry >> 9) & 0x7) as u8,
            bottom: entry & 0x100 != 0,
            ttl: (entry & 0xff) as u8,
        };
        p.labels.push(label);
        if label.bottom {
            break;
        }
    }
    // MPLS does not say what it carries. An L3VPN carries IP (the first nibble says which); a
    // pseudowire an Ethernet frame, possibly after a control word: told apart by a known
    // EtherType where a frame has one, unless the bytes read as a plausible IP header.
    let rest = tail(payload, at);
    let Some(&first) = rest.first() else {
        p.truncated = true;
        return;
    };
    if !plausible_ip(rest) {
        for (offset, control_word) in [(0, false), (4, true)] {
            if control_word && first >> 4 != 0 {
                continue;
            }
            let frame = tail(rest, offset);
            if let Some(ethertype) = be16(frame, 12).filter(|t| KNOWN_IN_FRAMES.contains(t)) {
                decode_pw_frame(frame, ethertype, control_word, p);
                return;
            }
        }
    }
    match first >> 4 {
        4 => decode_ipv4(rest, p),
        6 => decode_ipv6(rest, p),
        _ => {}
    }
}

/// EtherTypes a customer's frame under a pseudowire is taken to have.
const KNOWN_IN_FRAMES: [u16; 5] = [
    ETHERTYPE_IPV4,
    ETHERTYPE_ARP,
    ETHERTYPE_IPV6,
    ETHERTYPE_VLAN,
    ETHERTYPE_QINQ,
];

/// An IPv4 header whose total length fits what follows, or an IPv6 one whose payload does.
fn plausible_ip(data: &[u8]) -> bool {
    match data.first().map(|b| b >> 4) {
        Some(4) => {
            let header_len = usize::from(data[0] & 0x0f) * 4;
            let total = be16(data, 2).map_or(0, usize::from);
            header_len >= 20 && total >= header_len && total <= data.len()
        }
        Some(6) => be16(data, 4).is_some_and(|len| usize::from(len) + 40 <= data.len()),
        _ => false,
    }
}

/// A pseudowire's Ethernet frame: its addresses, then what it carries, as for a frame on the
/// wire (VLAN tags skipped, IP decoded).
fn decode_pw_frame(frame: &[u8], ethertype: u16, control_word: bool, p: &mut Packet) {
    let (outer_vlan, outer_ethertype) = (p.vlan.take(), p.ethertype);
    decode_ethertype(ethertype, tail(frame, 14), p);
    p.pw_frame = Some(PwFrame {
        control_word,
        src_mac: mac(frame, 6),
        dst_mac: mac(frame, 0),
        ethertype: p.ethertype.unwrap_or(ethertype),
    });
    // The outer frame's VLAN and EtherType stay the packet's own.
    p.vlan = outer_vlan;
    p.ethertype = outer_ethertype;
}

fn decode_ipv4(data: &[u8], p: &mut Packet) {
    let Some(&first) = data.first() else {
        p.truncated = true;
        return;
    };
    let header_len = usize::from(first & 0x0f) * 4;
    if first >> 4 != 4 || header_len < 20 {
        // Not IPv4 after all; nothing more to say about it.
        return;
    }
    let (Some(&ttl), Some(&protocol), Some(src), Some(dst)) =
        (data.get(8), data.get(9), ipv4(data, 12), ipv4(data, 16))
    else {
        p.truncated = true;
        return;
    };
    let mut summary = IpSummary {
        src: src.into(),
        dst: dst.into(),
        ttl,
        protocol,
        icmp: None,
    };
    let fragment_offset = be16(data, 6).map_or(0, |f| f & 0x1fff);
    // Later fragments carry the middle of the ICMP message, not its header.
    if protocol == IPPROTO_ICMP && fragment_offset == 0 {
        summary.icmp = icmp_header(data, header_len, p);
    }
    p.ip = Some(summary);
}

/// The ICMP (ICMPv6) type and code at `at`, or `None` with the packet marked truncated.
fn icmp_header(data: &[u8], at: usize, p: &mut Packet) -> Option<IcmpSummary> {
    match (data.get(at), data.get(at + 1)) {
        (Some(&kind), Some(&code)) => Some(IcmpSummary { kind, code }),
        _ => {
            p.truncated = true;
            None
        }
    }
}

fn decode_ipv6(data: &[u8], p: &mut Packet) {
    if data.first().map(|b| b >> 4) != Some(6) {
        return;
    }
    let (Some(&next), Some(&hop_limit), Some(src), Some(dst)) =
        (data.get(6), data.get(7), ipv6(data, 8), ipv6(data, 24))
    else {
        p.truncated = true;
        return;
    };
    let mut summary = IpSummary {
        src: src.into(),
        dst: dst.into(),
        ttl: hop_limit,
        protocol: next,
        icmp: None,
    };
    let mut srh: Option<(Vec<Ipv6Addr>, u8)> = None;
    let mut at = 40;
    // Each pass moves `at` forward by at least 8 bytes, so a bogus chain ends at the data's end.
    let mut first_fragment = true;
    loop {
        match summary.protocol {
            IPV6_HOP_BY_HOP | IPV6_ROUTING | IPV6_DEST_OPTS => {
                let (Some(&n), Some(&len)) = (data.get(at), data.get(at + 1)) else {
                    p.truncated = true;
                    break;
                };
                if summary.protocol == IPV6_ROUTING && data.get(at + 2) == Some(&ROUTING_TYPE_SRH) {
                    srh = Some(segment_list(data, at, len, p));
                }
                summary.protocol = n;
                at += (usize::from(len) + 1) * 8;
            }
            // An encapsulated packet (SRv6): the customer's is the packet's IP, the IPv6
            // header around it its SRv6 summary. An encapsulation inside it is not unwrapped.
            IPPROTO_IPIP | IPPROTO_IPV6 if p.srv6.is_none() && first_fragment => {
                let (segments, segments_left) = match srh {
                    Some((list, left)) => (list, Some(left)),
                    None => (Vec::new(), None),
                };
                p.srv6 = Some(Srv6Summary {
                    src,
                    dst,
                    hop_limit,
                    segments,
                    segments_left,
                });
                let inner = tail(data, at);
                if inner.is_empty() {
                    p.truncated = true;
                } else if summary.protocol == IPPROTO_IPIP {
                    decode_ipv4(inner, p);
                } else {
                    decode_ipv6(inner, p);
                }
                return;
            }
            IPV6_FRAGMENT => {
                let (Some(&n), Some(offset)) = (data.get(at), be16(data, at + 2)) else {
                    p.truncated = true;
                    break;
                };
                summary.protocol = n;
                first_fragment &= offset >> 3 == 0;
                at += 8;
            }
            IPPROTO_ICMPV6 if first_fragment => {
                summary.icmp = icmp_header(data, at, p);
                break;
            }
            _ => break,
        }
    }
    p.ip = Some(summary);
}

/// The segments of the SRH at `at` (its length field `len`), and its segments left; as many
/// as were captured, the packet marked truncated when the list was cut.
fn segment_list(data: &[u8], at: usize, len: u8, p: &mut Packet) -> (Vec<Ipv6Addr>, u8) {
    let (Some(&left), Some(&last_entry)) = (data.get(at + 3), data.get(at + 4)) else {
        p.truncated = true;
        return (Vec::new(), 0);
    };
    // The header's own length bounds the list, whatever its last-entry field claims.
    let count = (usize::from(last_entry) + 1).min(usize::from(len) / 2);
    let mut segments = Vec::with_capacity(count);
    for k in 0..count {
        match ipv6(data, at + 8 + 16 * k) {
            Some(sid) => segments.push(sid),
            None => {
                p.truncated = true;
                break;
            }
        }
    }
    (segments, left)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAC_A: [u8; 6] = [0x02, 0x42, 0xac, 0x11, 0x00, 0x02];
    const MAC_B: [u8; 6] = [0x02, 0x42, 0xac, 0x11, 0x00, 0x03];
    const CE1: Ipv4Addr = Ipv4Addr::new(192, 168, 1, 1);
    const CE2: Ipv4Addr = Ipv4Addr::new(192, 168, 2, 1);

    /// Writes pcap files the way libpcap does, in either byte order and time resolution.
    struct PcapWriter {
        big: bool,
        nanos: bool,
        buf: Vec<u8>,
    }

    impl PcapWriter {
        fn new(link: u32) -> Self {
            Self::with(link, false, false)
        }

        fn with(link: u32, big: bool, nanos: bool) -> Self {
            let mut w = PcapWriter {
                big,
                nanos,
                buf: Vec::new(),
            };
            w.u32(if nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 });
            w.u16(2);
            w.u16(4);
            w.u32(0); // thiszone
            w.u32(0); // sigfigs
            w.u32(262_144); // snaplen
            w.u32(link);
            w
        }

        fn u16(&mut self, v: u16) {
            let b = if self.big {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            };
            self.buf.extend_from_slice(&b);
        }

        fn u32(&mut self, v: u32) {
            let b = if self.big {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            };
            self.buf.extend_from_slice(&b);
        }

        /// `micros` is converted to the file's resolution.
        fn record_at(&mut self, sec: u32, micros: u32, frame: &[u8]) -> &mut Self {
            self.u32(sec);
            self.u32(if self.nanos { micros * 1000 } else { micros });
            self.u32(frame.len() as u32);
            self.u32(frame.len() as u32);
            self.buf.extend_from_slice(frame);
            self
        }

        fn record(&mut self, frame: &[u8]) -> &mut Self {
            self.record_at(1_700_000_000, 0, frame)
        }

        fn bytes(&self) -> Vec<u8> {
            self.buf.clone()
        }
    }

    fn eth(ethertype: u16, payload: &[u8]) -> Vec<u8> {
        let mut f = Vec::new();
        f.extend_from_slice(&MAC_B);
        f.extend_from_slice(&MAC_A);
        f.extend_from_slice(&ethertype.to_be_bytes());
        f.extend_from_slice(payload);
        f
    }

    fn vlan(id: u16, ethertype: u16, payload: &[u8]) -> Vec<u8> {
        let mut f = id.to_be_bytes().to_vec();
        f.extend_from_slice(&ethertype.to_be_bytes());
        f.extend_from_slice(payload);
        f
    }

    fn mpls(stack: &[(u32, u8, bool, u8)], payload: &[u8]) -> Vec<u8> {
        let mut f = Vec::new();
        for &(label, tc, bottom, ttl) in stack {
            let entry =
                (label << 12) | (u32::from(tc) << 9) | (u32::from(bottom) << 8) | u32::from(ttl);
            f.extend_from_slice(&entry.to_be_bytes());
        }
        f.extend_from_slice(payload);
        f
    }

    fn ip(src: Ipv4Addr, dst: Ipv4Addr, ttl: u8, protocol: u8, payload: &[u8]) -> Vec<u8> {
        let total = (20 + payload.len()) as u16;
        let mut h = vec![0x45, 0];
        h.extend_from_slice(&total.to_be_bytes());
        h.extend_from_slice(&[0x12, 0x34, 0x40, 0x00, ttl, protocol, 0, 0]);
        h.extend_from_slice(&src.octets());
        h.extend_from_slice(&dst.octets());
        h.extend_from_slice(payload);
        h
    }

    fn echo(kind: u8) -> Vec<u8> {
        vec![kind, 0, 0xf7, 0xff, 0, 1, 0, 1]
    }

    fn ping(ttl: u8) -> Vec<u8> {
        ip(CE1, CE2, ttl, 1, &echo(8))
    }

    fn only_packet(bytes: &[u8]) -> Packet {
        let cap = parse_pcap(bytes).expect("valid capture");
        assert_eq!(cap.packets.len(), 1, "{:?}", cap.packets);
        cap.packets.into_iter().next().expect("one packet")
    }

    #[test]
    fn plain_ipv4_icmp_echo() {
        let bytes = PcapWriter::new(1).record(&eth(0x0800, &ping(64))).bytes();
        let cap = parse_pcap(&bytes).unwrap();
        assert!(cap.warnings.is_empty());
        assert_eq!(cap.raw, bytes);
        let p = &cap.packets[0];
        assert_eq!(p.index, 1);
        assert_eq!(p.time, 0.0);
        assert_eq!(p.len, 14 + 28);
        assert_eq!(p.src_mac, Some(MacAddr(MAC_A)));
        assert_eq!(p.dst_mac, Some(MacAddr(MAC_B)));
        assert_eq!(p.vlan, None);
        assert_eq!(p.ethertype, Some(0x0800));
        assert_eq!(p.label_depth(), 0);
        assert_eq!(
            p.ip,
            Some(IpSummary {
                src: CE1.into(),
                dst: CE2.into(),
                ttl: 64,
                protocol: 1,
                icmp: Some(IcmpSummary { kind: 8, code: 0 }),
            })
        );
        assert!(p.is_icmp_echo_request());
        assert!(!p.is_icmp_echo_reply());
        assert!(!p.truncated);
        assert_eq!(
            p.to_string(),
            "#1 IP 192.168.1.1 > 192.168.2.1 ICMP echo request ttl 64"
        );
    }

    #[test]
    fn one_label_after_php() {
        let frame = eth(0x8847, &mpls(&[(80, 0, true, 62)], &ping(63)));
        let p = only_packet(&PcapWriter::new(1).record(&frame).bytes());
        assert_eq!(
            p.labels,
            [MplsLabel {
                label: 80,
                tc: 0,
                bottom: true,
                ttl: 62
            }]
        );
        assert_eq!(p.label_depth(), 1);
        assert_eq!(p.ip.map(|i| i.ttl), Some(63));
        assert!(p.is_icmp_echo_request());
        assert_eq!(
            p.to_string(),
            "#1 MPLS [80 S ttl 62] 192.168.1.1 > 192.168.2.1 ICMP echo request ttl 63"
        );
    }

    #[test]
    fn two_label_stack_with_s_bit_on_the_inner_label() {
        let frame = eth(
            0x8847,
            &mpls(&[(16, 0, false, 63), (80, 0, true, 63)], &ping(63)),
        );
        let bytes = PcapWriter::new(1)
            .record(&eth(0x0800, &ping(64)))
            .record(&eth(0x0800, &ping(64)))
            .record(&frame)
            .bytes();
        let cap = parse_pcap(&bytes).unwrap();
        let p = &cap.packets[2];
        assert_eq!(p.index, 3);
        assert_eq!(p.label_depth(), 2);
        assert_eq!(
            p.labels,
            [
                MplsLabel {
                    label: 16,
                    tc: 0,
                    bottom: false,
                    ttl: 63
                },
                MplsLabel {
                    label: 80,
                    tc: 0,
                    bottom: true,
                    ttl: 63
                },
            ]
        );
        assert_eq!(
            p.to_string(),
            "#3 MPLS [16 ttl 63] [80 S ttl 63] 192.168.1.1 > 192.168.2.1 ICMP echo request ttl 63"
        );
    }

    #[test]
    fn label_fields_use_their_full_width() {
        let frame = eth(
            0x8847,
            &mpls(&[(0xfffff, 7, false, 255), (3, 5, true, 1)], &ping(1)),
        );
        let p = only_packet(&PcapWriter::new(1).record(&frame).bytes());
        assert_eq!(
            p.labels,
            [
                MplsLabel {
                    label: 0xfffff,
                    tc: 7,
                    bottom: false,
                    ttl: 255
                },
                MplsLabel {
                    label: 3,
                    tc: 5,
                    bottom: true,
                    ttl: 1
                },
            ]
        );
        assert!(p
            .to_string()
            .starts_with("#1 MPLS [1048575 tc 7 ttl 255] [3 tc 5 S ttl 1] "));
    }

    #[test]
    fn mpls_over_non_ip_is_labels_only() {
        // A pseudowire's control word starts with a zero nibble.
        let control_word = [0x00, 0, 0, 1, 0x02, 0x42, 0xac, 0x11];
        let frame = eth(0x8847, &mpls(&[(2, 0, true, 64)], &control_word));
        let p = only_packet(&PcapWriter::new(1).record(&frame).bytes());
        assert_eq!(p.label_depth(), 1);
        assert_eq!(p.ip, None);
        assert!(!p.truncated);
        assert_eq!(p.to_string(), "#1 MPLS [2 S ttl 64] (non-IP payload)");
    }

    /// A customer's frame from CE MAC `src` to `dst`, carried by a pseudowire.
    fn customer_frame(dst: [u8; 6], src: [u8; 6], ethertype: u16, payload: &[u8]) -> Vec<u8> {
        let mut f = dst.to_vec();
        f.extend_from_slice(&src);
        f.extend_from_slice(&ethertype.to_be_bytes());
        f.extend_from_slice(payload);
        f
    }

    const CE_X: [u8; 6] = [0xaa, 0x00, 0x00, 0x00, 0x00, 0x01];
    // A first nibble of 4, as an IPv4 header has.
    const CE_Y: [u8; 6] = [0x46, 0xff, 0xff, 0x00, 0x00, 0x02];

    #[test]
    fn a_pseudowire_frame_without_control_word_shows_its_addresses_and_its_ip() {
        let inner = customer_frame(CE_Y, CE_X, 0x0800, &ping(64));
        let frame = eth(
            0x8847,
            &mpls(&[(18, 0, false, 63), (17, 0, true, 255)], &inner),
        );
        let p = only_packet(&PcapWriter::new(1).record(&frame).bytes());
        assert_eq!(p.label_depth(), 2);
        let pw = p.pw_frame.expect("a pseudowire frame");
        assert!(!pw.control_word);
        assert_eq!(pw.ethertype, 0x0800);
        assert!(p.is_icmp_echo_request());
        assert_eq!(p.ethertype, Some(0x8847), "the wire's own EtherType stays");
        assert_eq!(
            p.to_string(),
            "#1 MPLS [18 ttl 63] [17 S ttl 255] ether aa:00:00:00:00:01 > 46:ff:ff:00:00:02 \
             192.168.1.1 > 192.168.2.1 ICMP echo request ttl 64"
        );
    }

    #[test]
    fn a_pseudowire_frame_after_a_control_word_and_an_arp_inside_one() {
        let mut payload = vec![0, 0, 0, 7];
        let arp = [0u8; 28];
        payload.extend(customer_frame([0xff; 6], CE_X, 0x0806, &arp));
        let frame = eth(0x8847, &mpls(&[(17, 0, true, 255)], &payload));
        let p = only_packet(&PcapWriter::new(1).record(&frame).bytes());
        let pw = p.pw_frame.expect("a pseudowire frame");
        assert!(pw.control_word);
        assert_eq!(p.ip, None);
        assert_eq!(
            p.to_string(),
            "#1 MPLS [17 S ttl 255] cw ether aa:00:00:00:00:01 > ff:ff:ff:ff:ff:ff ARP"
        );
    }

    #[test]
    fn ip_under_labels_is_still_ip_whatever_its_addresses() {
        // Source 8.6.x.x puts 0x0806 (ARP's EtherType) where a frame has its EtherType.
        let packet = ip(Ipv4Addr::new(8, 6, 1, 1), CE2, 63, 1, &echo(8));
        let frame = eth(0x8847, &mpls(&[(17, 0, true, 63)], &packet));
        let p = only_packet(&PcapWriter::new(1).record(&frame).bytes());
        assert_eq!(p.pw_frame, None);
        assert!(p.is_icmp_echo_request());
    }

    const CE1_V6: &str = "2001:db8:c1::1";
    const CE2_V6: &str = "2001:db8:c2::1";

    /// An IPv6 header (payload length filled in) and its payload.
    fn ip6(src: &str, dst: &str, hop_limit: u8, next: u8, payload: &[u8]) -> Vec<u8> {
        let mut h = vec![0x60, 0, 0, 0];
        h.extend_from_slice(&(payload.len() as u16).to_be_bytes());
        h.extend_from_slice(&[next, hop_limit]);
        h.extend_from_slice(&src.parse::<Ipv6Addr>().unwrap().octets());
        h.extend_from_slice(&dst.parse::<Ipv6Addr>().unwrap().octets());
        h.extend_from_slice(payload);
        h
    }

    /// A segment routing header (RFC 8754) with `segments` and `left`, then `next`.
    fn srh(next: u8, left: u8, segments: &[&str]) -> Vec<u8> {
        let n = segments.len() as u8;
        let mut h = vec![next, 2 * n, ROUTING_TYPE_SRH, left, n - 1, 0, 0, 0];
        for sid in segments {
            h.extend_from_slice(&sid.parse::<Ipv6Addr>().unwrap().octets());
        }
        h
    }

    /// As the lab VM's kernel encapsulates for an End.DT4 SID (seen with tcpdump on the core):
    /// PE1's core address to PE2's SID, an SRH listing that one SID, the customer's IPv4 ping.
    #[test]
    fn an_ipv4_ping_in_srv6_is_the_customers_with_its_sid_outside() {
        let inner = ping(64);
        let mut payload = srh(IPPROTO_IPIP, 0, &["2001:db8:5:2:2::"]);
        payload.extend_from_slice(&inner);
        let frame = eth(
            0x86dd,
            &ip6(
                "2001:db8:0:11::2",
                "2001:db8:5:2:2::",
                62,
                IPV6_ROUTING,
                &payload,
            ),
        );
        let p = only_packet(&PcapWriter::new(1).record(&frame).bytes());
        assert_eq!(p.label_depth(), 0);
        assert!(p.is_icmp_echo_request());
        let ip = p.ip.unwrap();
        assert_eq!((ip.src, ip.dst, ip.ttl), (CE1.into(), CE2.into(), 64));
        let outer = p.srv6.clone().unwrap();
        assert_eq!(outer.dst, "2001:db8:5:2:2::".parse::<Ipv6Addr>().unwrap());
        assert_eq!(outer.src, "2001:db8:0:11::2".parse::<Ipv6Addr>().unwrap());
        assert_eq!(outer.segments, vec![outer.dst]);
        assert_eq!(outer.segments_left, Some(0));
        assert_eq!(
            p.to_string(),
            "#1 SRv6 2001:db8:0:11::2 > 2001:db8:5:2:2:: SRH [2001:db8:5:2:2::] left 0 | IP \
             192.168.1.1 > 192.168.2.1 ICMP echo request ttl 64"
        );
        assert!(!p.truncated);
    }

    /// End.DT6: an IPv6 ping inside, here with no SRH (encapsulation in reduced form).
    #[test]
    fn an_ipv6_ping_in_srv6_without_an_srh_is_read_too() {
        let inner = ip6(CE1_V6, CE2_V6, 64, 58, &echo(128));
        let frame = eth(
            0x86dd,
            &ip6(
                "2001:db8:0:11::2",
                "2001:db8:5:2:3::",
                62,
                IPPROTO_IPV6,
                &inner,
            ),
        );
        let p = only_packet(&PcapWriter::new(1).record(&frame).bytes());
        assert!(p.is_icmp_echo_request());
        assert_eq!(p.ip.unwrap().dst, CE2_V6.parse::<IpAddr>().unwrap());
        let outer = p.srv6.unwrap();
        assert_eq!(outer.dst, "2001:db8:5:2:3::".parse::<Ipv6Addr>().unwrap());
        assert!(outer.segments.is_empty() && outer.segments_left.is_none());
    }

    /// A segment list cut by the snap length is read as far as it goes: the outer header and
    /// the first segment, no customer packet.
    #[test]
    fn a_cut_segment_list_marks_the_packet_truncated() {
        let payload = srh(IPPROTO_IPIP, 1, &["2001:db8:5:2:2::", "2001:db8:5:9::"]);
        let frame = eth(
            0x86dd,
            &ip6(
                "2001:db8:0:11::2",
                "2001:db8:5:9::",
                62,
                IPV6_ROUTING,
                &payload[..30],
            ),
        );
        let p = only_packet(&PcapWriter::new(1).record(&frame).bytes());
        assert!(p.truncated);
        assert!(p.ip.is_none());
        let outer = p.srv6.unwrap();
        assert_eq!(
            outer.segments,
            vec!["2001:db8:5:2:2::".parse::<Ipv6Addr>().unwrap()]
        );
        assert_eq!(outer.segments_left, Some(1));
    }

    #[test]
    fn icmpv6_echo_under_two_labels() {
        let ping6 = ip6(CE1_V6, CE2_V6, 63, 58, &echo(128));
        let frame = eth(
            0x8847,
            &mpls(&[(16, 0, false, 63), (80, 0, true, 63)], &ping6),
        );
        let bytes = PcapWriter::new(1).record(&frame).bytes();
        let cap = parse_pcap(&bytes).unwrap();
        let p = &cap.packets[0];
        assert_eq!(p.label_depth(), 2);
        assert_eq!(
            p.ip,
            Some(IpSummary {
                src: CE1_V6.parse().unwrap(),
                dst: CE2_V6.parse().unwrap(),
                ttl: 63,
                protocol: 58,
                icmp: Some(IcmpSummary { kind: 128, code: 0 }),
            })
        );
        assert!(p.is_icmp_echo_request());
        assert_eq!(
            p.to_string(),
            "#1 MPLS [16 ttl 63] [80 S ttl 63] 2001:db8:c1::1 > 2001:db8:c2::1 ICMP6 echo request ttl 63"
        );
        let (src, dst) = (CE1_V6.parse().unwrap(), CE2_V6.parse().unwrap());
        assert_eq!(cap.echo_requests(src, dst).len(), 1);
        assert!(cap.echo_requests(dst, src).is_empty());
        // An IPv4 echo request is not an ICMPv6 one, and the other way round.
        assert!(cap.echo_requests(CE1.into(), CE2.into()).is_empty());
    }

    #[test]
    fn icmpv6_types_are_named_and_only_echo_counts() {
        let bytes = PcapWriter::new(1)
            .record(&eth(0x86dd, &ip6(CE2_V6, CE1_V6, 64, 58, &echo(129))))
            .record(&eth(0x86dd, &ip6(CE2_V6, CE1_V6, 64, 58, &[135, 0, 0, 0])))
            .record(&eth(0x86dd, &ip6(CE2_V6, CE1_V6, 64, 58, &[2, 0, 0, 0])))
            .record(&eth(0x86dd, &ip6(CE2_V6, CE1_V6, 64, 58, &[8, 0, 0, 0])))
            .record(&eth(0x86dd, &ip6(CE2_V6, CE1_V6, 64, 17, &[0; 8])))
            .bytes();
        let cap = parse_pcap(&bytes).unwrap();
        let lines: Vec<String> = cap.packets.iter().map(Packet::to_string).collect();
        assert_eq!(
            lines,
            [
                "#1 IP6 2001:db8:c2::1 > 2001:db8:c1::1 ICMP6 echo reply ttl 64",
                "#2 IP6 2001:db8:c2::1 > 2001:db8:c1::1 ICMP6 neighbor solicitation ttl 64",
                "#3 IP6 2001:db8:c2::1 > 2001:db8:c1::1 ICMP6 packet too big ttl 64",
                "#4 IP6 2001:db8:c2::1 > 2001:db8:c1::1 ICMP6 type 8 ttl 64",
                "#5 IP6 2001:db8:c2::1 > 2001:db8:c1::1 UDP ttl 64",
            ]
        );
        assert!(cap.packets[0].is_icmp_echo_reply());
        // ICMPv6 type 8 is not an echo request (ICMP's 8 is).
        assert!(!cap.packets[3].is_icmp_echo_request());
    }

    #[test]
    fn ipv6_extension_headers_are_skipped_to_the_icmpv6_header() {
        // Hop-by-hop options (8 bytes), then a first fragment, then the echo request.
        let mut payload = vec![44, 0, 0, 0, 0, 0, 0, 0];
        payload.extend_from_slice(&[58, 0, 0, 1, 0, 0, 0, 7]);
        payload.extend_from_slice(&echo(128));
        let first = ip6(CE1_V6, CE2_V6, 64, 0, &payload);
        // A later fragment (offset 1448) carries no ICMPv6 header.
        let mut later = vec![58, 0, 0x05, 0xa8 | 1, 0, 0, 0, 7];
        later.extend_from_slice(&[0xaa; 16]);
        let later = ip6(CE1_V6, CE2_V6, 64, 44, &later);
        let cap = parse_pcap(
            &PcapWriter::new(1)
                .record(&eth(0x86dd, &first))
                .record(&eth(0x86dd, &later))
                .bytes(),
        )
        .unwrap();
        let first = cap.packets[0].ip.unwrap();
        assert_eq!(first.protocol, 58);
        assert_eq!(first.icmp, Some(IcmpSummary { kind: 128, code: 0 }));
        let later = cap.packets[1].ip.unwrap();
        assert_eq!((later.protocol, later.icmp), (58, None));
        assert!(!cap.packets[1].truncated);
    }

    #[test]
    fn ipv6_header_cut_short_is_truncated() {
        let ping6 = ip6(CE1_V6, CE2_V6, 64, 58, &echo(128));
        let frame = eth(0x86dd, &ping6[..30]);
        let p = only_packet(&PcapWriter::new(1).record(&frame).bytes());
        assert_eq!(p.ethertype, Some(0x86dd));
        assert_eq!(p.ip, None);
        assert!(p.truncated);
        assert_eq!(p.to_string(), "#1 IP6 [truncated]");
    }

    #[test]
    fn vlan_tag_is_skipped_and_recorded() {
        let frame = eth(0x8100, &vlan(0x2000 | 42, 0x0800, &ping(64)));
        let p = only_packet(&PcapWriter::new(1).record(&frame).bytes());
        assert_eq!(p.vlan, Some(42));
        assert_eq!(p.ethertype, Some(0x0800));
        assert!(p.is_icmp_echo_request());
        assert!(p.to_string().starts_with("#1 vlan 42 IP 192.168.1.1"));

        let qinq = eth(
            0x88a8,
            &vlan(
                100,
                0x8100,
                &vlan(7, 0x8847, &mpls(&[(16, 0, true, 5)], &ping(5))),
            ),
        );
        let p = only_packet(&PcapWriter::new(1).record(&qinq).bytes());
        assert_eq!(p.vlan, Some(100));
        assert_eq!(p.label_depth(), 1);
    }

    #[test]
    fn other_protocols_are_named() {
        let bytes = PcapWriter::new(1)
            .record(&eth(0x0806, &[0; 28]))
            .record(&eth(0x86dd, &[0x50; 40]))
            .record(&eth(0x88cc, &[0; 10]))
            .record(&eth(0x0800, &ip(CE1, CE2, 1, 6, &[0; 20])))
            .record(&eth(0x0800, &ip(CE1, CE2, 1, 17, &[0; 8])))
            .record(&eth(0x0800, &ip(CE1, CE2, 1, 132, &[0; 8])))
            .record(&eth(0x0800, &ip(CE2, CE1, 64, 1, &echo(0))))
            .record(&eth(0x0800, &ip(CE2, CE1, 64, 1, &[11, 0, 0, 0])))
            .record(&eth(0x0800, &ip(CE2, CE1, 64, 1, &[3, 4, 0, 0])))
            .bytes();
        let lines: Vec<String> = parse_pcap(&bytes)
            .unwrap()
            .packets
            .iter()
            .map(Packet::to_string)
            .collect();
        assert_eq!(
            lines,
            [
                "#1 ARP",
                "#2 IP6",
                "#3 ethertype 0x88cc",
                "#4 IP 192.168.1.1 > 192.168.2.1 TCP ttl 1",
                "#5 IP 192.168.1.1 > 192.168.2.1 UDP ttl 1",
                "#6 IP 192.168.1.1 > 192.168.2.1 proto 132 ttl 1",
                "#7 IP 192.168.2.1 > 192.168.1.1 ICMP echo reply ttl 64",
                "#8 IP 192.168.2.1 > 192.168.1.1 ICMP time exceeded ttl 64",
                "#9 IP 192.168.2.1 > 192.168.1.1 ICMP unreachable code 4 ttl 64",
            ]
        );
    }

    #[test]
    fn non_first_fragment_has_no_icmp_header() {
        let mut frag = ping(64);
        frag[6] = 0x00;
        frag[7] = 0xb9; // offset 185 * 8 bytes
        let p = only_packet(&PcapWriter::new(1).record(&eth(0x0800, &frag)).bytes());
        assert_eq!(p.ip.map(|i| i.protocol), Some(1));
        assert_eq!(p.ip.and_then(|i| i.icmp), None);
        assert!(!p.truncated);
    }

    #[test]
    fn ip_options_move_the_icmp_header() {
        let mut with_options = ping(64);
        with_options[0] = 0x46;
        with_options.splice(20..20, [1, 1, 1, 0]); // NOP NOP NOP EOL
        let p = only_packet(
            &PcapWriter::new(1)
                .record(&eth(0x0800, &with_options))
                .bytes(),
        );
        assert!(p.is_icmp_echo_request());
    }

    #[test]
    fn times_are_relative_to_the_first_packet() {
        for (big, nanos) in [(false, false), (false, true), (true, false), (true, true)] {
            let frame = eth(0x0800, &ping(64));
            let bytes = PcapWriter::with(1, big, nanos)
                .record_at(1_700_000_000, 900_000, &frame)
                .record_at(1_700_000_001, 400_000, &frame)
                .record_at(1_700_000_003, 900_001, &frame)
                .bytes();
            let cap = parse_pcap(&bytes).unwrap();
            let times: Vec<f64> = cap.packets.iter().map(|p| p.time).collect();
            assert_eq!(times.len(), 3, "big={big} nanos={nanos}");
            assert_eq!(times[0], 0.0);
            assert!((times[1] - 0.5).abs() < 1e-9, "{times:?}");
            assert!((times[2] - 3.000_001).abs() < 1e-9, "{times:?}");
            assert!(cap.packets.iter().all(Packet::is_icmp_echo_request));
        }
    }

    #[test]
    fn nanosecond_resolution_is_kept() {
        let frame = eth(0x0800, &ping(64));
        let mut w = PcapWriter::with(1, true, true);
        w.record_at(10, 0, &frame);
        // Hand-written nanosecond fraction that is not a whole microsecond.
        w.u32(10);
        w.u32(1);
        w.u32(frame.len() as u32);
        w.u32(frame.len() as u32);
        w.buf.extend_from_slice(&frame);
        let cap = parse_pcap(&w.bytes()).unwrap();
        assert!((cap.packets[1].time - 1e-9).abs() < 1e-12);
    }

    #[test]
    fn linux_cooked_sll() {
        let mut frame = vec![0, 4, 0, 1, 0, 6];
        frame.extend_from_slice(&MAC_A);
        frame.extend_from_slice(&[0, 0]);
        frame.extend_from_slice(&0x8847u16.to_be_bytes());
        frame.extend_from_slice(&mpls(&[(17, 0, false, 10), (81, 0, true, 10)], &ping(63)));
        let p = only_packet(&PcapWriter::new(113).record(&frame).bytes());
        assert_eq!(p.src_mac, Some(MacAddr(MAC_A)));
        assert_eq!(p.dst_mac, None);
        assert_eq!(p.ethertype, Some(0x8847));
        assert_eq!(
            p.labels.iter().map(|l| l.label).collect::<Vec<_>>(),
            [17, 81]
        );
        assert!(p.is_icmp_echo_request());
        assert!(!p.truncated);
    }

    #[test]
    fn linux_cooked_sll_without_ethernet_address() {
        // ARPHRD_LOOPBACK (772) with a zero-length address: no MAC to report.
        let mut frame = vec![0, 0, 0x03, 0x04, 0, 0];
        frame.extend_from_slice(&[0; 8]);
        frame.extend_from_slice(&0x0800u16.to_be_bytes());
        frame.extend_from_slice(&ping(64));
        let p = only_packet(&PcapWriter::new(113).record(&frame).bytes());
        assert_eq!(p.src_mac, None);
        assert!(p.is_icmp_echo_request());
    }

    #[test]
    fn linux_cooked_sll2() {
        let mut frame = Vec::new();
        frame.extend_from_slice(&0x8847u16.to_be_bytes());
        frame.extend_from_slice(&[0, 0]); // reserved
        frame.extend_from_slice(&7u32.to_be_bytes()); // ifindex
        frame.extend_from_slice(&[0, 1, 4, 6]); // ARPHRD_ETHER, outgoing, 6-byte address
        frame.extend_from_slice(&MAC_B);
        frame.extend_from_slice(&[0, 0]);
        frame.extend_from_slice(&mpls(&[(16, 0, false, 63), (80, 0, true, 63)], &ping(63)));
        let p = only_packet(&PcapWriter::with(276, true, true).record(&frame).bytes());
        assert_eq!(p.src_mac, Some(MacAddr(MAC_B)));
        assert_eq!(p.label_depth(), 2);
        assert_eq!(
            p.to_string(),
            "#1 MPLS [16 ttl 63] [80 S ttl 63] 192.168.1.1 > 192.168.2.1 ICMP echo request ttl 63"
        );
    }

    #[test]
    fn raw_ip_link_type() {
        let bytes = PcapWriter::new(101).record(&ping(9)).bytes();
        let p = only_packet(&bytes);
        assert_eq!(p.ethertype, Some(0x0800));
        assert_eq!(p.ip.map(|i| i.ttl), Some(9));
        assert!(p.is_icmp_echo_request());
    }

    #[test]
    fn truncated_frames_keep_what_was_decoded() {
        let full = eth(
            0x8847,
            &mpls(&[(16, 0, false, 63), (80, 0, true, 63)], &ping(63)),
        );
        let mut w = PcapWriter::new(1);
        // Cut points: inside the MACs, inside the EtherType, inside the first label, between
        // labels, before the IP header, inside it, inside the ICMP header.
        let cuts = [4, 13, 16, 18, 22, 30, 40, 43];
        for &cut in &cuts {
            w.record(&full[..cut]);
        }
        let cap = parse_pcap(&w.bytes()).unwrap();
        assert!(cap.warnings.is_empty(), "{:?}", cap.warnings);
        assert!(cap.packets.iter().all(|p| p.truncated));
        let depths: Vec<usize> = cap.packets.iter().map(Packet::label_depth).collect();
        assert_eq!(depths, [0, 0, 0, 1, 2, 2, 2, 2]);
        assert_eq!(cap.packets[0].dst_mac, None);
        assert_eq!(cap.packets[1].src_mac, Some(MacAddr(MAC_A)));
        assert_eq!(cap.packets[1].ethertype, None);
        assert_eq!(cap.packets[5].ip, None);
        let at_icmp = &cap.packets[7];
        assert_eq!(
            at_icmp.ip.map(|i| (i.src, i.dst)),
            Some((CE1.into(), CE2.into()))
        );
        assert_eq!(at_icmp.ip.and_then(|i| i.icmp), None);
        assert_eq!(
            at_icmp.to_string(),
            "#8 MPLS [16 ttl 63] [80 S ttl 63] 192.168.1.1 > 192.168.2.1 ICMP ttl 63 [truncated]"
        );
        assert_eq!(
            cap.packets[4].to_string(),
            "#5 MPLS [16 ttl 63] [80 S ttl 63] [truncated]"
        );
    }

    #[test]
    fn truncated_sll_headers() {
        for len in [0, 5, 15] {
            let p = only_packet(&PcapWriter::new(113).record(&vec![0; len]).bytes());
            assert!(p.truncated, "len {len}");
        }
        for len in [0, 1, 19] {
            let p = only_packet(&PcapWriter::new(276).record(&vec![0; len]).bytes());
            assert!(p.truncated, "len {len}");
        }
        let p = only_packet(&PcapWriter::new(101).record(&[]).bytes());
        assert!(p.truncated);
    }

    #[test]
    fn record_cut_short_at_end_of_file() {
        let frame = eth(0x0800, &ping(64));
        let mut bytes = PcapWriter::new(1).record(&frame).record(&frame).bytes();
        bytes.truncate(bytes.len() - 5);
        let cap = parse_pcap(&bytes).unwrap();
        assert_eq!(cap.packets.len(), 2);
        assert!(!cap.packets[0].truncated);
        let last = &cap.packets[1];
        assert!(last.truncated);
        assert!(last.is_icmp_echo_request(), "ICMP type is before the cut");
        assert_eq!(cap.warnings.len(), 1);
        assert!(cap.warnings[0].contains("packet 2"), "{:?}", cap.warnings);
    }

    #[test]
    fn partial_record_header_is_a_warning() {
        let frame = eth(0x0800, &ping(64));
        let mut bytes = PcapWriter::new(1).record(&frame).bytes();
        bytes.extend_from_slice(&[1, 2, 3, 4, 5, 6, 7]);
        let cap = parse_pcap(&bytes).unwrap();
        assert_eq!(cap.packets.len(), 1);
        assert_eq!(cap.warnings.len(), 1);
        assert!(
            cap.warnings[0].contains("7 trailing bytes"),
            "{:?}",
            cap.warnings
        );
    }

    #[test]
    fn header_only_file_has_no_packets() {
        let cap = parse_pcap(&PcapWriter::new(1).bytes()).unwrap();
        assert!(cap.packets.is_empty());
        assert!(cap.warnings.is_empty());
        assert!(cap.echo_requests(CE1.into(), CE2.into()).is_empty());
    }

    #[test]
    fn pcapng_is_rejected() {
        let mut shb = vec![
            0x0a, 0x0d, 0x0d, 0x0a, 0x1c, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a,
        ];
        shb.extend_from_slice(&[1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
        let err = parse_pcap(&shb).unwrap_err();
        assert_eq!(err, CaptureError::PcapNg);
        assert!(err.to_string().contains("pcapng"));
        assert_eq!(parse_pcap(&shb[..4]), Err(CaptureError::PcapNg));
    }

    #[test]
    fn garbage_is_rejected() {
        assert_eq!(parse_pcap(&[]), Err(CaptureError::TooShort { len: 0 }));
        assert_eq!(
            parse_pcap(&[0xd4, 0xc3]),
            Err(CaptureError::TooShort { len: 2 })
        );
        let text = b"tcpdump: eth9: No such device exists\n";
        assert_eq!(parse_pcap(text), Err(CaptureError::BadMagic(0x7463_7064)));
        let header = PcapWriter::new(1).bytes();
        assert_eq!(
            parse_pcap(&header[..23]),
            Err(CaptureError::TooShort { len: 23 })
        );
        let err = parse_pcap(text).unwrap_err().to_string();
        assert!(err.contains("0x74637064"), "{err}");
    }

    #[test]
    fn unsupported_link_type_is_rejected() {
        assert_eq!(
            parse_pcap(&PcapWriter::new(105).bytes()),
            Err(CaptureError::UnsupportedLinkType(105))
        );
        // FCS bits in the upper half do not hide the link type.
        assert!(parse_pcap(&PcapWriter::new(0x1400_0001).bytes()).is_ok());
    }

    #[test]
    fn echo_requests_filters_by_direction() {
        let bytes = PcapWriter::new(1)
            .record(&eth(0x0800, &ip(CE1, CE2, 64, 1, &echo(8))))
            .record(&eth(0x0800, &ip(CE2, CE1, 64, 1, &echo(0))))
            .record(&eth(0x0800, &ip(CE2, CE1, 64, 1, &echo(8))))
            .record(&eth(
                0x8847,
                &mpls(&[(80, 0, true, 63)], &ip(CE1, CE2, 63, 1, &echo(8))),
            ))
            .record(&eth(0x0800, &ip(CE1, CE2, 64, 17, &[8, 0, 0, 0])))
            .bytes();
        let cap = parse_pcap(&bytes).unwrap();
        let idx: Vec<usize> = cap
            .echo_requests(CE1.into(), CE2.into())
            .iter()
            .map(|p| p.index)
            .collect();
        assert_eq!(idx, [1, 4]);
        let idx: Vec<usize> = cap
            .echo_requests(CE2.into(), CE1.into())
            .iter()
            .map(|p| p.index)
            .collect();
        assert_eq!(idx, [3]);
        assert!(cap.packets[1].is_icmp_echo_reply());
    }

    #[test]
    fn packets_convert_to_rhai_maps() {
        let frame = eth(
            0x8847,
            &mpls(&[(16, 0, false, 63), (80, 0, true, 63)], &ping(63)),
        );
        let p = only_packet(&PcapWriter::new(1).record(&frame).bytes());
        let d = rhai::serde::to_dynamic(&p).unwrap();
        let map = d.cast::<rhai::Map>();
        assert_eq!(map["index"].as_int().unwrap(), 1);
        assert_eq!(
            map["src_mac"].clone().into_string().unwrap(),
            "02:42:ac:11:00:02"
        );
        let labels = map["labels"].clone().into_array().unwrap();
        let inner = labels[1].clone().cast::<rhai::Map>();
        assert_eq!(inner["label"].as_int().unwrap(), 80);
        assert!(inner["bottom"].as_bool().unwrap());
        let ip = map["ip"].clone().cast::<rhai::Map>();
        assert_eq!(ip["src"].clone().into_string().unwrap(), "192.168.1.1");
        let icmp = ip["icmp"].clone().cast::<rhai::Map>();
        assert_eq!(icmp["kind"].as_int().unwrap(), 8);
        assert!(map["vlan"].is_unit());
    }

    #[test]
    fn write_pcap_saves_the_original_bytes() {
        let bytes = PcapWriter::new(1).record(&eth(0x0800, &ping(64))).bytes();
        let cap = parse_pcap(&bytes).unwrap();
        let path =
            std::env::temp_dir().join(format!("mplsrepl-capture-{}.pcap", std::process::id()));
        write_pcap(&path, &cap).unwrap();
        let back = std::fs::read(&path).unwrap();
        let _ = std::fs::remove_file(&path);
        assert_eq!(back, bytes);
    }

    /// xorshift64: deterministic, dependency-free noise for the no-panic tests.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n.max(1) as u64) as usize
        }

        fn bytes(&mut self, n: usize) -> Vec<u8> {
            (0..n).map(|_| self.next() as u8).collect()
        }
    }

    fn exercise(bytes: &[u8]) {
        if let Ok(cap) = parse_pcap(bytes) {
            for p in &cap.packets {
                let _ = p.to_string();
                let _ = p.label_depth();
                let _ = p.is_icmp_echo_request();
                assert!(p.time.is_finite());
            }
            let _ = cap.echo_requests(CE1.into(), CE2.into());
        }
    }

    #[test]
    fn random_bytes_never_panic() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for _ in 0..3000 {
            let len = rng.below(200);
            exercise(&rng.bytes(len));
        }
    }

    #[test]
    fn random_records_after_a_valid_header_never_panic() {
        let mut rng = Rng(0x1234_5678_9abc_def1);
        for i in 0..4000 {
            let link = [1, 113, 276, 101][i % 4];
            let mut bytes = PcapWriter::with(link, i % 3 == 0, i % 5 == 0).bytes();
            for _ in 0..rng.below(4) {
                let len = rng.below(80);
                // Mostly honest lengths, sometimes lies in either direction.
                let claimed = match rng.below(4) {
                    0 => rng.next() as u32,
                    _ => len as u32,
                };
                let header = [
                    rng.next() as u32,
                    rng.next() as u32,
                    claimed,
                    rng.next() as u32,
                ];
                for v in header {
                    if i % 3 == 0 {
                        bytes.extend_from_slice(&v.to_be_bytes());
                    } else {
                        bytes.extend_from_slice(&v.to_le_bytes());
                    }
                }
                // Bias towards the EtherTypes that reach the deeper decoders.
                let mut frame = rng.bytes(len);
                if link == 1 && len >= 14 {
                    let t: u16 = [0x8847, 0x0800, 0x8100, 0x88a8][rng.below(4)];
                    frame[12..14].copy_from_slice(&t.to_be_bytes());
                }
                bytes.extend_from_slice(&frame);
            }
            exercise(&bytes);
        }
    }

    #[test]
    fn mutated_valid_captures_never_panic() {
        let mut rng = Rng(0x0bad_cafe_dead_beef);
        let good = PcapWriter::new(1)
            .record(&eth(
                0x8847,
                &mpls(&[(16, 0, false, 63), (80, 0, true, 63)], &ping(63)),
            ))
            .record(&eth(0x8100, &vlan(5, 0x0800, &ping(64))))
            .bytes();
        for _ in 0..4000 {
            let mut bytes = good.clone();
            for _ in 0..1 + rng.below(6) {
                let at = rng.below(bytes.len());
                bytes[at] = rng.next() as u8;
            }
            let cut = rng.below(bytes.len() + 1);
            bytes.truncate(cut.max(24));
            exercise(&bytes);
        }
    }
}
