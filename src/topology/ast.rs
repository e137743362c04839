//! The topology file as written: statements in file order, every node with its byte span.
//!
//! Nothing here is checked beyond its shape. Names, roles and numbers stay text, so that
//! `validate` can point at exactly the token it rejects.

use std::ops::Range;

pub use super::model::SegmentKind;

/// Byte offsets into the source text.
pub type Span = Range<usize>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    pub statements: Vec<Statement>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Statement {
    Lab(LabDecl),
    Image(ImageDecl),
    Router(RouterDecl),
    Segment(SegmentDecl),
}

impl Statement {
    pub fn span(&self) -> &Span {
        match self {
            Statement::Lab(s) => &s.span,
            Statement::Image(s) => &s.span,
            Statement::Router(s) => &s.span,
            Statement::Segment(s) => &s.span,
        }
    }
}

/// A token kept as written: a name, a role, an interface, a number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    pub text: String,
    pub span: Span,
}

/// `"..."`; `value` is without the quotes, `span` includes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StringLit {
    pub value: String,
    pub span: Span,
}

/// `lab NAME`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabDecl {
    pub name: Word,
    pub span: Span,
}

/// `image "REF"`, at top level (the lab's default) or at the end of a router line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageDecl {
    pub image: StringLit,
    pub span: Span,
}

/// `router NAME ROLE [lo PREFIX [PREFIX6]] [id ADDRESS] [as N] [engine N] [image "REF"]`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouterDecl {
    pub name: Word,
    pub role: Word,
    pub loopback: Option<Prefix>,
    pub loopback6: Option<Prefix>,
    /// The address after `id`: the router ID of a router without an IPv4 loopback.
    pub router_id: Option<Word>,
    /// The number after `as`.
    pub asn: Option<Word>,
    /// The number after `engine`.
    pub engine: Option<Word>,
    pub image: Option<ImageDecl>,
    pub span: Span,
}

impl RouterDecl {
    /// The IPv4 loopback as written; none when `lo` names an IPv6 prefix alone.
    pub fn written_loopback4(&self) -> Option<&Prefix> {
        self.loopback.as_ref().filter(|p| !p.is_ipv6())
    }

    /// The IPv6 loopback as written: after the IPv4 one, or alone (an IPv6-only router).
    pub fn written_loopback6(&self) -> Option<&Prefix> {
        only_ipv6(self.loopback.as_ref(), self.loopback6.as_ref())
    }
}

/// `ADDRESS/LENGTH`, split so that each half can be blamed on its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prefix {
    pub address: Word,
    pub length: Word,
    pub span: Span,
}

impl Prefix {
    /// An IPv6 prefix is one with a colon in its address.
    pub fn is_ipv6(&self) -> bool {
        self.address.text.contains(':')
    }
}

/// The IPv6 prefix of a line whose first prefix is `first`: the second one, or the first when it
/// is IPv6 and stands alone.
fn only_ipv6<'a>(first: Option<&'a Prefix>, second: Option<&'a Prefix>) -> Option<&'a Prefix> {
    second.or(first.filter(|p| p.is_ipv6()))
}

/// `link NAME PREFIX [PREFIX6] { ENDS }` or `network NAME PREFIX [PREFIX6] { ENDS }`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentDecl {
    pub kind: SegmentKind,
    pub name: Word,
    pub subnet: Prefix,
    pub subnet6: Option<Prefix>,
    pub ends: Vec<End>,
    /// The braces and everything between them.
    pub ends_span: Span,
    pub span: Span,
}

impl SegmentDecl {
    /// The IPv4 subnet as written; none on an IPv6-only segment (an IPv6 prefix alone).
    pub fn written_subnet4(&self) -> Option<&Prefix> {
        Some(&self.subnet).filter(|p| !p.is_ipv6())
    }

    /// The IPv6 subnet as written: after the IPv4 one, or alone.
    pub fn written_subnet6(&self) -> Option<&Prefix> {
        only_ipv6(Some(&self.subnet), self.subnet6.as_ref())
    }
}

/// `ROUTER[:IFACE] ADDRESS [ADDRESS6] [vrf NAME]`, or `ROUTER[:IFACE] l2vpn NAME`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct End {
    pub router: Word,
    /// `None` when the interface is left to automatic naming.
    pub interface: Option<Word>,
    /// `None` on an attachment circuit's PE end (`l2vpn NAME`), which has no address.
    pub address: Option<Address>,
    /// `2001:db8:1::2`, or `::2` for the low bits under the segment's IPv6 subnet.
    pub address6: Option<Word>,
    /// `vrf NAME` after the address: the customer VRF this (PE) end is in.
    pub vrf: Option<Word>,
    /// `l2vpn NAME` in place of the addresses: this (PE) end attaches a customer to the
    /// layer-2 VPN NAME.
    pub l2vpn: Option<Word>,
    /// `ROUTER[:IFACE]`, what an error about the interface points at.
    pub reference: Span,
    pub span: Span,
}

impl End {
    /// The IPv6 address as written, with where: after the IPv4 one, or alone (`::2` on an
    /// IPv6-only segment).
    pub fn written_address6(&self) -> Option<(&str, &Span)> {
        match (&self.address6, &self.address) {
            (Some(w), _) => Some((w.text.as_str(), &w.span)),
            (None, Some(a)) if a.kind == AddressKind::Ipv6 => Some((a.text.as_str(), &a.span)),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressKind {
    /// `10.1.1.2`
    Full,
    /// `.2` or `.0.2`: the low octets, the rest taken from the segment's subnet.
    HostPart,
    /// An IPv6 address where the IPv4 one goes.
    Ipv6,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    pub kind: AddressKind,
    pub text: String,
    pub span: Span,
}
